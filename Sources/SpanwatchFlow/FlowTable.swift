import SpanwatchWire

/// Flow table limits and timeouts (seconds of packet time).
public struct FlowTableLimits: Sendable {
    public var maximumFlows = 65_536
    /// Bytes the table may use: a fixed cost per flow plus reassembly buffers.
    public var memcap = 64 << 20
    public var newTimeout: Int64 = 30
    public var tcpEstablishedTimeout: Int64 = 3600
    public var udpEstablishedTimeout: Int64 = 300
    public var closedTimeout: Int64 = 10
    /// Interim flow records for long-lived flows every this many seconds (0: never).
    public var interimInterval: Int64 = 3600
    public init() {}
}

/// Why flows left the table, counted (never silently).
public struct FlowTableCounters: Sendable, Equatable {
    public var created: UInt64 = 0
    public var timedOut: UInt64 = 0
    public var closed: UInt64 = 0
    public var evictedNew: UInt64 = 0
    public var evictedClosed: UInt64 = 0
    public var evictedEstablished: UInt64 = 0
    public var flushedAtShutdown: UInt64 = 0
    /// Closed TCP flows ended early because a new connection (SYN) reused their addresses and ports.
    public var reused: UInt64 = 0
    public var peakActive: Int = 0
    public var peakMemory: Int = 0
    public var evicted: UInt64 { evictedNew + evictedClosed + evictedEstablished }
}

/// A bounded table of flows.
///
/// Flows live in one of four lists by timeout class, each ordered by last packet time
/// (most recent at the head), so expiry only looks at tails. When the table is full
/// (flow count or memcap) it evicts, in this order: the least recently seen closed flow,
/// then embryonic flow (TCP without a completed handshake, one-sided UDP), and only then the
/// least recently seen established flow. OT sessions are long-lived and precious; a flood
/// of SYNs or random datagrams is not.
public final class FlowTable {
    enum ListID: UInt8, CaseIterable {
        case new = 0, closed, udpEstablished, tcpEstablished
    }

    /// Memory charged per flow: the flow object, its slot, its dictionary entry (conservative).
    public static let perFlowCost = 640
    /// Charged once a flow has an application session (framing buffers, pending requests).
    public static let perSessionCost = 1024

    public let limits: FlowTableLimits
    public let memory = ReassemblyMemory()
    var flows: [Flow] = []
    var freeSlots: [Int32] = []
    let index: FlowIndex
    var heads = [Int32](repeating: -1, count: ListID.allCases.count)
    var tails = [Int32](repeating: -1, count: ListID.allCases.count)
    public private(set) var active = 0
    var sessions = 0
    public var counters = FlowTableCounters()

    public init(limits: FlowTableLimits) {
        self.limits = limits
        let reserve = min(limits.maximumFlows, max(1024, limits.memcap / FlowTable.perFlowCost))
        index = FlowIndex(minimumCapacity: min(reserve, 1 << 16))
        flows.reserveCapacity(reserve)
    }

    /// Bytes currently charged against the memcap.
    public var memoryInUse: Int { active * FlowTable.perFlowCost + sessions * FlowTable.perSessionCost + memory.bytes }

    public func lookup(_ key: FlowKey) -> Flow? {
        guard let slot = index.find(key) else { return nil }
        return flows[Int(slot)]
    }

    /// Makes room (evicting, through `onEnd`) and inserts a fresh flow for `key`.
    public func insert(_ key: FlowKey, onEnd: (Flow, FlowEndReason) -> Void) -> Flow {
        while active >= limits.maximumFlows || memoryInUse + FlowTable.perFlowCost > limits.memcap {
            guard evictOne(onEnd: onEnd) else { break }
        }
        let flow: Flow
        if let slot = freeSlots.popLast() {
            flow = flows[Int(slot)]
        } else {
            flow = Flow()
            flow.slot = Int32(flows.count)
            flows.append(flow)
        }
        flow.key = key
        index.insert(key, slot: flow.slot)
        link(flow, to: .new)
        active += 1
        counters.created += 1
        counters.peakActive = max(counters.peakActive, active)
        counters.peakMemory = max(counters.peakMemory, memoryInUse)
        return flow
    }

    /// A flow gained an application session (charged against the memcap).
    func noteSession() {
        sessions += 1
        counters.peakMemory = max(counters.peakMemory, memoryInUse)
    }

    /// Moves a flow to the head of the list its state belongs to.
    public func touch(_ flow: Flow) {
        let wanted: ListID
        if flow.transport == .tcp {
            switch flow.tcpState {
            case .closed: wanted = .closed
            case .established, .finWait, .closing: wanted = .tcpEstablished
            default: wanted = flow.packetsToClient > 0 && flow.packetsToServer > 0 && flow.tcpState == .none ? .tcpEstablished : .new
            }
        } else {
            wanted = flow.packetsToClient > 0 && flow.packetsToServer > 0 ? .udpEstablished : .new
        }
        unlink(flow)
        link(flow, to: wanted)
        counters.peakMemory = max(counters.peakMemory, memoryInUse)
    }

    /// Ends every flow idle past its timeout at packet time `now` (microseconds).
    public func expire(now: Timestamp, onEnd: (Flow, FlowEndReason) -> Void) {
        for list in ListID.allCases {
            let timeout = timeoutSeconds(list) * 1_000_000
            while tails[Int(list.rawValue)] >= 0 {
                let flow = flows[Int(tails[Int(list.rawValue)])]
                guard flow.lastTime + timeout <= now else { break }
                if list == .closed { counters.closed += 1 } else { counters.timedOut += 1 }
                remove(flow, reason: list == .closed ? .closed : .timeout, onEnd: onEnd)
            }
        }
    }

    /// Ends a closing or closed TCP flow now: a SYN opened a new connection on its addresses and
    /// ports (a client that binds a fixed source port, as many OT devices do, or port reuse).
    public func endForReuse(_ flow: Flow, onEnd: (Flow, FlowEndReason) -> Void) {
        counters.reused += 1
        remove(flow, reason: .closed, onEnd: onEnd)
    }

    /// Ends every flow (shutdown or end of input), oldest first.
    public func flushAll(onEnd: (Flow, FlowEndReason) -> Void) {
        var all = [Flow]()
        for list in ListID.allCases {
            var cursor = heads[Int(list.rawValue)]
            while cursor >= 0 {
                all.append(flows[Int(cursor)])
                cursor = flows[Int(cursor)].next
            }
        }
        all.sort { ($0.startTime, $0.id) < ($1.startTime, $1.id) }
        for flow in all {
            counters.flushedAtShutdown += 1
            remove(flow, reason: flow.tcpState == .closed ? .closed : .shutdown, onEnd: onEnd)
        }
    }

    /// Visits every active flow (interim records, stats).
    public func forEach(_ body: (Flow) -> Void) {
        for list in ListID.allCases {
            var cursor = heads[Int(list.rawValue)]
            while cursor >= 0 {
                let flow = flows[Int(cursor)]
                cursor = flow.next
                body(flow)
            }
        }
    }

    func timeoutSeconds(_ list: ListID) -> Int64 {
        switch list {
        case .new: limits.newTimeout
        case .closed: limits.closedTimeout
        case .udpEstablished: limits.udpEstablishedTimeout
        case .tcpEstablished: limits.tcpEstablishedTimeout
        }
    }

    private func evictOne(onEnd: (Flow, FlowEndReason) -> Void) -> Bool {
        let closedTail = tails[Int(ListID.closed.rawValue)]
        let newTail = tails[Int(ListID.new.rawValue)]
        let victim: Int32
        if closedTail >= 0 {
            victim = closedTail
            counters.evictedClosed += 1
        } else if newTail >= 0 {
            victim = newTail
            counters.evictedNew += 1
        } else {
            let udp = tails[Int(ListID.udpEstablished.rawValue)]
            let tcp = tails[Int(ListID.tcpEstablished.rawValue)]
            if udp < 0 && tcp < 0 { return false }
            if udp >= 0 && (tcp < 0 || flows[Int(udp)].lastTime <= flows[Int(tcp)].lastTime) {
                victim = udp
            } else {
                victim = tcp
            }
            counters.evictedEstablished += 1
        }
        remove(flows[Int(victim)], reason: .memcap, onEnd: onEnd)
        return true
    }

    private func remove(_ flow: Flow, reason: FlowEndReason, onEnd: (Flow, FlowEndReason) -> Void) {
        onEnd(flow, reason)
        unlink(flow)
        index.remove(flow.key, slot: flow.slot)
        if flow.session != nil { sessions -= 1 }
        flow.reset(memory: memory)
        freeSlots.append(flow.slot)
        active -= 1
    }

    private func link(_ flow: Flow, to list: ListID) {
        let l = Int(list.rawValue)
        flow.list = list.rawValue
        flow.previous = -1
        flow.next = heads[l]
        if heads[l] >= 0 { flows[Int(heads[l])].previous = flow.slot }
        heads[l] = flow.slot
        if tails[l] < 0 { tails[l] = flow.slot }
    }

    private func unlink(_ flow: Flow) {
        let l = Int(flow.list)
        if flow.previous >= 0 { flows[Int(flow.previous)].next = flow.next } else { heads[l] = flow.next }
        if flow.next >= 0 { flows[Int(flow.next)].previous = flow.previous } else { tails[l] = flow.previous }
        flow.previous = -1
        flow.next = -1
    }
}
