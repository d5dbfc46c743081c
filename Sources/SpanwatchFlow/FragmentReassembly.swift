import SpanwatchWire

/// How a host resolves overlapping IP fragments (Novak's target-based reassembly, as Snort's
/// frag3 and Suricata's host-os-policy name them): the monitored host's policy decides which
/// bytes it sees, so the monitor must reassemble the same way.
public enum FragmentPolicy: String, Sendable, CaseIterable {
    /// The first data received for a byte wins.
    case first
    /// The latest data wins.
    case last
    /// A later fragment wins where it starts before the earlier one.
    case bsd
    /// A later fragment wins where it starts before or where the earlier one starts.
    case linux

    func laterWins(laterStart: Int, earlierStart: Int) -> Bool {
        switch self {
        case .first: false
        case .last: true
        case .bsd: laterStart < earlierStart
        case .linux: laterStart <= earlierStart
        }
    }
}

/// The policy of the hosts in an address block (a zone's `fragment_policy`).
public struct FragmentPolicyRule: Sendable, Equatable {
    public var network: IPAddress
    public var prefixLength: Int
    public var policy: FragmentPolicy
    public init(network: IPAddress, prefixLength: Int, policy: FragmentPolicy) {
        self.network = network
        self.prefixLength = prefixLength
        self.policy = policy
    }

    func contains(_ address: IPAddress) -> Bool {
        guard address.isIPv6 == network.isIPv6 else { return false }
        if !address.isIPv6 {
            let mask: UInt32 = prefixLength <= 0 ? 0 : UInt32.max << UInt32(32 - min(prefixLength, 32))
            return address.ipv4 & mask == network.ipv4 & mask
        }
        let highBits = min(prefixLength, 64), lowBits = max(prefixLength - 64, 0)
        let highMask: UInt64 = highBits == 0 ? 0 : UInt64.max << UInt64(64 - highBits)
        let lowMask: UInt64 = lowBits == 0 ? 0 : UInt64.max << UInt64(64 - lowBits)
        return address.high & highMask == network.high & highMask && address.low & lowMask == network.low & lowMask
    }
}

/// Limits of IP fragment reassembly: memory held by incomplete datagrams (oldest evicted first
/// past it, counted), how long one waits for its missing fragments, how many fragments one may
/// have, and the overlap policy by destination host (the receiver's).
public struct FragmentLimits: Sendable, Equatable {
    public var memoryBytes = 16 << 20
    public var timeout: Timestamp = 60_000_000
    public var maximumFragments = 64
    public var defaultPolicy: FragmentPolicy = .first
    public var policies: [FragmentPolicyRule] = []
    public init() {}

    /// The policy of the receiving host: the most specific block holding it.
    public func policy(for destination: IPAddress) -> FragmentPolicy {
        var best: FragmentPolicyRule? = nil
        for rule in policies where rule.contains(destination) && rule.prefixLength > (best?.prefixLength ?? -1) { best = rule }
        return best?.policy ?? defaultPolicy
    }
}

/// IPv4 and IPv6 fragment reassembly (RFC 791, RFC 8200 section 4.5; RFC 815's hole
/// accounting by byte). Each datagram keeps its data and which fragment wrote each byte, so an
/// overlap is resolved by the receiver's policy and an overlap with different data is seen.
/// Memory is bounded; fragments are rare, so their buffers are allocated as they come.
public final class FragmentReassembler {
    struct Key: Hashable {
        var source: IPAddress
        var destination: IPAddress
        var identification: UInt32
        var protocolNumber: UInt8
        var vlans: UInt32
    }

    final class Datagram {
        /// The link layer and IP header(s) of the fragment at offset 0 (what the whole datagram is sent with).
        var prefix: [UInt8] = []
        var hasFirst = false
        var data: [UInt8] = []
        /// Per byte: 1 + the index of the fragment that wrote it; 0 for a hole.
        var owner: [UInt8] = []
        var starts: [Int] = []
        var filled = 0
        var totalLength: Int? = nil
        var created: Timestamp
        var lastSeen: Timestamp
        var policy: FragmentPolicy
        var isIPv6 = false
        var ipHeaderOffset = 0
        var nextHeaderField = 0
        var nextHeader: UInt8 = 0
        var linkType: LinkType = .ethernet
        var interface: String? = nil
        var overlapReported = false
        init(created: Timestamp, policy: FragmentPolicy) {
            self.created = created
            lastSeen = created
            self.policy = policy
        }
        var bytes: Int { data.count + owner.count + prefix.count + 128 }
    }

    public struct Counters: Sendable, Equatable {
        public var fragments: UInt64 = 0
        public var reassembled: UInt64 = 0
        /// Datagrams given up: timed out, evicted past the memory cap, dropped (too large, too many fragments).
        public var timedOut: UInt64 = 0
        public var evictedMemcap: UInt64 = 0
        /// Fragments whose data differed from what an earlier one had put there.
        public var overlaps: UInt64 = 0
        public var dropped: UInt64 = 0
        /// Memory held by incomplete datagrams.
        public var pendingBytes = 0
    }

    var limits: FragmentLimits
    var table: [Key: Datagram] = [:]
    /// Keys in arrival order (oldest first); entries of datagrams already gone are skipped.
    var order: [Key] = []
    var orderStart = 0
    public internal(set) var memory = 0
    public internal(set) var counters = Counters()
    /// The reassembled packet handed out (reused).
    public internal(set) var output: [UInt8] = []

    public init(limits: FragmentLimits) { self.limits = limits }

    public enum Finding: Sendable, Equatable {
        case overlapDifferent, tinyFirst, tooMany, tooLarge
        public func name(_ v6: Bool) -> String {
            let family = v6 ? "ipv6" : "ipv4"
            switch self {
            case .overlapDifferent: return "\(family).frag_overlap_different_data"
            case .tinyFirst: return "\(family).frag_tiny_first"
            case .tooMany: return "\(family).frag_too_many"
            case .tooLarge: return "\(family).frag_too_large"
            }
        }
    }

    /// Takes one fragment. Returns what it found wrong (for anomalies) and whether the datagram
    /// is now whole (then `output` holds it, framed like its first fragment).
    public func add(_ bytes: RawSpan, frame: DecodedFrame, linkType: LinkType, interface: String?, at time: Timestamp) -> (findings: [Finding], complete: Bool) {
        counters.fragments += 1
        let v6 = frame.network == .ipv6
        let key = Key(source: frame.sourceIP, destination: frame.destinationIP, identification: frame.ipIdentification,
                      protocolNumber: v6 ? 0 : frame.ipProtocol, vlans: UInt32(frame.outerVLAN) << 16 | UInt32(frame.innerVLAN))
        let start = Int(frame.fragmentOffset) * 8
        let dataStart = frame.fragmentDataOffset, dataEnd = max(frame.fragmentDataOffset, frame.fragmentDataEnd)
        let length = dataEnd - dataStart
        let end = start + length
        var findings: [Finding] = []
        let headerLength = v6 ? 40 : frame.fragmentDataOffset - frame.ipHeaderOffset
        guard end + headerLength <= 65535 else {
            findings.append(.tooLarge)
            drop(key)
            return (findings, false)
        }
        let datagram: Datagram
        if let existing = table[key] {
            datagram = existing
        } else {
            datagram = Datagram(created: time, policy: limits.policy(for: frame.destinationIP))
            datagram.isIPv6 = v6
            table[key] = datagram
            order.append(key)
            memory += datagram.bytes
        }
        datagram.lastSeen = time
        guard datagram.starts.count < limits.maximumFragments else {
            findings.append(.tooMany)
            drop(key)
            return (findings, false)
        }
        let before = datagram.bytes
        if datagram.data.count < end {
            datagram.data += [UInt8](repeating: 0, count: end - datagram.data.count)
            datagram.owner += [UInt8](repeating: 0, count: end - datagram.owner.count)
        }
        let index = datagram.starts.count
        datagram.starts.append(start)
        var differing = false
        for position in 0..<length {
            let at = start + position
            let byte = bytes.u8(dataStart + position)
            let previous = Int(datagram.owner[at])
            if previous == 0 {
                datagram.data[at] = byte
                datagram.owner[at] = UInt8(index + 1)
                datagram.filled += 1
            } else {
                if datagram.data[at] != byte { differing = true }
                if datagram.policy.laterWins(laterStart: start, earlierStart: datagram.starts[previous - 1]) {
                    datagram.data[at] = byte
                    datagram.owner[at] = UInt8(index + 1)
                }
            }
        }
        if differing {
            counters.overlaps += 1
            if !datagram.overlapReported {
                datagram.overlapReported = true
                findings.append(.overlapDifferent)
            }
        }
        if start == 0 && !datagram.hasFirst {
            datagram.hasFirst = true
            let prefixEnd = v6 ? frame.fragmentHeaderOffset : frame.fragmentDataOffset
            datagram.prefix = (0..<prefixEnd).map { bytes.u8($0) }
            datagram.ipHeaderOffset = frame.ipHeaderOffset
            datagram.nextHeaderField = frame.fragmentNextHeaderField
            datagram.nextHeader = frame.fragmentNextHeader
            datagram.linkType = linkType
            datagram.interface = interface
            // Too short to hold its transport header: a classic way to hide ports from a filter.
            let transport = v6 ? frame.fragmentNextHeader : frame.ipProtocol
            let needed = transport == 6 ? 20 : (transport == 17 || transport == 1 || transport == 58) ? 8 : 0
            if length < needed { findings.append(.tinyFirst) }
        }
        if !frame.moreFragments { datagram.totalLength = end }
        memory += datagram.bytes - before
        if let total = datagram.totalLength, datagram.hasFirst, datagram.filled >= total, datagram.data.count >= total {
            assemble(datagram, total: total)
            remove(key)
            counters.reassembled += 1
            return (findings, true)
        }
        enforceMemory()
        return (findings, false)
    }

    /// The whole datagram, framed like its first fragment, with its lengths and fragment fields set.
    private func assemble(_ datagram: Datagram, total: Int) {
        outputLinkType = datagram.linkType
        outputInterface = datagram.interface
        output.removeAll(keepingCapacity: true)
        output += datagram.prefix
        output += datagram.data[0..<total]
        let ip = datagram.ipHeaderOffset
        if datagram.isIPv6 {
            let payload = datagram.prefix.count - (ip + 40) + total
            output[ip + 4] = UInt8(payload >> 8)
            output[ip + 5] = UInt8(payload & 0xFF)
            output[datagram.nextHeaderField] = datagram.nextHeader
        } else {
            let length = datagram.prefix.count - ip + total
            output[ip + 2] = UInt8(length >> 8)
            output[ip + 3] = UInt8(length & 0xFF)
            output[ip + 6] = 0
            output[ip + 7] = 0
        }
    }

    /// How `output` is framed, and where its first fragment was captured.
    var outputLinkType: LinkType = .ethernet
    var outputInterface: String? = nil

    private func drop(_ key: Key) {
        if table[key] != nil { counters.dropped += 1 }
        remove(key)
    }

    private func remove(_ key: Key) {
        if let datagram = table.removeValue(forKey: key) {
            memory -= datagram.bytes
        }
        if table.isEmpty {
            order.removeAll(keepingCapacity: true)
            orderStart = 0
        }
    }

    /// Past the memory cap, the oldest datagrams go first.
    private func enforceMemory() {
        while memory > limits.memoryBytes, orderStart < order.count {
            let key = order[orderStart]
            orderStart += 1
            if table[key] != nil {
                counters.evictedMemcap += 1
                remove(key)
            }
        }
        compactOrder()
    }

    /// Datagrams that waited past the timeout are given up (counted).
    public func expire(now: Timestamp) {
        guard !table.isEmpty else { return }
        for (key, datagram) in table where now - datagram.lastSeen > limits.timeout {
            counters.timedOut += 1
            remove(key)
        }
        compactOrder()
    }

    private func compactOrder() {
        if orderStart > 64 && orderStart * 2 > order.count {
            order.removeFirst(orderStart)
            orderStart = 0
        }
    }
}
