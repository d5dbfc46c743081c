import CPcap
import SpanwatchWire

#if canImport(Glibc)
import Glibc
#endif

/// Why a capture could not be opened or read; `description` is the one-line message the CLI prints.
public struct CaptureError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The per-packet header the pipeline needs (time, lengths), copied from libpcap's.
public struct PacketHeader: Sendable {
    public var seconds: Int64
    public var microseconds: Int32
    public var capturedLength: Int
    public var wireLength: Int
}

/// What one read attempt produced.
public enum ReadOutcome: Sendable, Equatable {
    case packet
    /// Live capture: no packet within the timeout.
    case timeout
    /// End of a file.
    case end
    /// The read failed: for a file, everything before the damage was delivered.
    case error(String)
}

/// Live capture settings (tcpdump/Suricata names).
public struct LiveCaptureOptions: Sendable {
    public var snapLength: Int32 = 9216 + 64
    public var promiscuous = true
    /// Kernel ring buffer in bytes (`pcap_set_buffer_size`).
    public var bufferSize: Int32 = 64 << 20
    /// How long a read may wait before returning `.timeout`, in milliseconds.
    public var timeoutMilliseconds: Int32 = 200
    public var immediate = false
    public init() {}
}

/// 64-bit kernel counters from `pcap_stats`, whose 32-bit fields wrap on a busy link.
public struct KernelCounters: Sendable, Equatable {
    public var packets: UInt64 = 0
    public var drops: UInt64 = 0
    public var interfaceDrops: UInt64 = 0
    var lastPackets: UInt32 = 0
    var lastDrops: UInt32 = 0
    var lastInterfaceDrops: UInt32 = 0

    public init() {}

    /// Folds a new 32-bit reading into the totals; a reading smaller than the last is a wrap.
    /// Adds another handle's totals (an interface reopened, or several summed).
    public mutating func add(_ other: KernelCounters) {
        packets += other.packets
        drops += other.drops
        interfaceDrops += other.interfaceDrops
    }

    public mutating func accumulate(packets p: UInt32, drops d: UInt32, interfaceDrops i: UInt32) {
        packets &+= UInt64(p &- lastPackets)
        drops &+= UInt64(d &- lastDrops)
        interfaceDrops &+= UInt64(i &- lastInterfaceDrops)
        lastPackets = p
        lastDrops = d
        lastInterfaceDrops = i
    }
}

/// One libpcap handle, offline or live. The only type in spanwatch that calls libpcap.
public final class PcapHandle {
    private let handle: OpaquePointer
    public let name: String
    public let isLive: Bool
    public let linkType: LinkType
    public private(set) var kernel = KernelCounters()

    private init(handle: OpaquePointer, name: String, isLive: Bool) {
        self.handle = handle
        self.name = name
        self.isLive = isLive
        self.linkType = LinkType(rawValue: pcap_datalink(handle))
    }

    deinit { pcap_close(handle) }

    /// Opens a pcap or pcapng file; a missing, unreadable or corrupt file throws a one-line error.
    public static func openOffline(path: String) throws(CaptureError) -> PcapHandle {
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        guard let handle = pcap_open_offline(path, &errbuf) else {
            let message = String(cString: errbuf)
            throw CaptureError(message.hasPrefix(path) ? message : "\(path): \(message)")
        }
        let result = PcapHandle(handle: handle, name: path, isLive: false)
        guard result.linkType.isSupported else {
            let name = pcap_datalink_val_to_name(result.linkType.rawValue).map { String(cString: $0) } ?? "unknown"
            throw CaptureError("\(path): unsupported link type \(result.linkType.rawValue) (\(name))")
        }
        return result
    }

    /// Opens an interface for live capture (needs CAP_NET_RAW).
    public static func openLive(interface: String, options: LiveCaptureOptions) throws(CaptureError) -> PcapHandle {
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        guard let handle = pcap_create(interface, &errbuf) else {
            throw CaptureError("\(interface): \(String(cString: errbuf))")
        }
        pcap_set_snaplen(handle, options.snapLength)
        pcap_set_promisc(handle, options.promiscuous ? 1 : 0)
        pcap_set_buffer_size(handle, options.bufferSize)
        pcap_set_timeout(handle, options.timeoutMilliseconds)
        if options.immediate { pcap_set_immediate_mode(handle, 1) }
        let status = pcap_activate(handle)
        if status < 0 {
            let message = String(cString: pcap_geterr(handle))
            pcap_close(handle)
            throw CaptureError("\(interface): \(message.isEmpty ? String(cString: pcap_statustostr(status)) : message)")
        }
        let result = PcapHandle(handle: handle, name: interface, isLive: true)
        guard result.linkType.isSupported else {
            throw CaptureError("\(interface): unsupported link type \(result.linkType.rawValue)")
        }
        return result
    }

    /// Compiles and installs a BPF filter (tcpdump syntax).
    public func setFilter(_ expression: String) throws(CaptureError) {
        var program = bpf_program()
        if pcap_compile(handle, &program, expression, 1, PCAP_NETMASK_UNKNOWN) != 0 {
            throw CaptureError("bad filter expression '\(expression)': \(String(cString: pcap_geterr(handle)))")
        }
        defer { pcap_freecode(&program) }
        if pcap_setfilter(handle, &program) != 0 {
            throw CaptureError("\(name): cannot set filter: \(String(cString: pcap_geterr(handle)))")
        }
    }

    /// Checks that a BPF expression compiles for a link type, without any capture open.
    public static func validateFilter(_ expression: String, linkType: LinkType = .ethernet) -> String? {
        guard let dead = pcap_open_dead(linkType.rawValue, 65535) else { return "cannot open a dead handle" }
        defer { pcap_close(dead) }
        var program = bpf_program()
        if pcap_compile(dead, &program, expression, 1, PCAP_NETMASK_UNKNOWN) != 0 {
            return String(cString: pcap_geterr(dead))
        }
        pcap_freecode(&program)
        return nil
    }

    /// Reads one packet and hands its bytes to `body` without copying them. The span is valid
    /// only inside `body`.
    @inline(__always)
    public func next(_ body: (PacketHeader, RawSpan) -> Void) -> ReadOutcome {
        var headerPointer: UnsafeMutablePointer<pcap_pkthdr>? = nil
        var dataPointer: UnsafePointer<UInt8>? = nil
        let status = pcap_next_ex(handle, &headerPointer, &dataPointer)
        switch status {
        case 1:
            guard let h = headerPointer, let d = dataPointer else { return .error("\(name): libpcap returned no packet") }
            let raw = h.pointee
            let header = PacketHeader(seconds: Int64(raw.ts.tv_sec), microseconds: Int32(raw.ts.tv_usec),
                                      capturedLength: Int(raw.caplen), wireLength: Int(raw.len))
            let buffer = UnsafeRawBufferPointer(start: d, count: Int(raw.caplen))
            body(header, buffer.bytes)
            return .packet
        case 0:
            return .timeout
        case PCAP_ERROR_BREAK:
            return .end
        default:
            return .error("\(name): \(String(cString: pcap_geterr(handle)))")
        }
    }

    /// A file descriptor that poll() can wait on (live handles), or nil.
    public var selectableDescriptor: Int32? {
        let fd = pcap_get_selectable_fd(handle)
        return fd >= 0 ? fd : nil
    }

    public func setNonBlocking(_ on: Bool) {
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        _ = pcap_setnonblock(handle, on ? 1 : 0, &errbuf)
    }

    /// Refreshes the 64-bit kernel counters from `pcap_stats` (live handles).
    @discardableResult
    public func refreshKernelCounters() -> KernelCounters {
        guard isLive else { return kernel }
        var stats = pcap_stat()
        if pcap_stats(handle, &stats) == 0 {
            kernel.accumulate(packets: stats.ps_recv, drops: stats.ps_drop, interfaceDrops: stats.ps_ifdrop)
        }
        return kernel
    }

    /// Makes a blocked read return (from a signal handler or another thread).
    public func breakLoop() { pcap_breakloop(handle) }

    public static var libraryVersion: String { String(cString: pcap_lib_version()) }
}
