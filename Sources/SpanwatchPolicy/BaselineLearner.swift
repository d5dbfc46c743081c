import SpanwatchFlow
import SpanwatchWire

/// Learns a baseline from traffic: every host that sends, every answered edge, the operations on
/// each edge, the names each client resolves, and the polling cycle of request/response edges.
/// Memory is bounded (`maximumEdges`, `maximumHosts`; past them new ones are counted, not kept).
public final class BaselineLearner {
    public static let maximumEdges = 100_000
    public static let maximumHosts = 100_000
    public static let maximumNamesPerClient = 512
    /// Request signatures timed per edge, and intervals kept per signature.
    static let signaturesPerEdge = 8
    static let intervalsPerSignature = 256

    public struct Counters: Sendable, Equatable {
        public var edgesDropped: UInt64 = 0
        public var hostsDropped: UInt64 = 0
        public var namesDropped: UInt64 = 0
        public init() {}
    }

    struct RequestTimer {
        var signature: UInt64
        var last: Timestamp
        var intervals: [Int64] = []
        var next = 0
        var samples = 0
    }

    public private(set) var baseline: Baseline
    public private(set) var counters = Counters()
    var edgeKeys: [EdgeKey] = []
    /// The edges learned, by slot (mutated in place: a per-event update copies no set).
    var edges: [BaselineEdge] = []
    var edgeIndex: [EdgeKey: Int32] = [:]
    var timers: [[RequestTimer]] = []
    let zonePolicy: ZonePolicy

    /// `merging` continues an existing baseline (`learn --merge`, or a daemon's next period).
    public init(merging existing: Baseline = Baseline(), zonePolicy: ZonePolicy = ZonePolicy()) {
        baseline = existing
        self.zonePolicy = zonePolicy
        for key in existing.edges.keys.sorted() {
            if let index = slot(for: key) { edges[Int(index)] = existing.edges[key]! }
        }
        baseline.edges = [:]
    }

    /// Whether an address is a plant host worth a baseline entry: not multicast or broadcast, and
    /// private, or public but inside a declared zone.
    public static func isTrackedHost(_ address: IPAddress, policy: ZonePolicy) -> Bool {
        // Unspecified (0.0.0.0, ::: DHCP and duplicate-address probes) is nobody.
        if (address.high == 0 && address.low == 0) || address.isMulticastOrBroadcast { return false }
        return !ZonePolicy.isPublic(address) || policy.zone(of: address) != nil
    }

    /// The moment a flow's edge is settled (see `PolicyEngine.settleEdge`): learn the client and
    /// the edge if it counts (the server when it answers: `learnServer`).
    func learnFlow(_ flow: Flow, at time: Timestamp) {
        let roles = AssetIdentity.roles(flow.appProto)
        learnHost(flow.clientIP, mac: flow.hasEthernet ? flow.clientMAC : nil, role: roles?.client, at: time)
        guard PolicyEngine.edgeCounts(flow) else { return }
        let key = EdgeKey(flow)
        guard let index = slot(for: key) else { return }
        flow.baselineEdge = index
        let position = Int(index)
        edges[position].flows += 1
        if edges[position].firstSeen == nil || time < edges[position].firstSeen! { edges[position].firstSeen = time }
        if edges[position].lastSeen == nil || time > edges[position].lastSeen! { edges[position].lastSeen = time }
    }

    /// The server of a flow answered (the engine calls it once per flow).
    func learnServer(_ flow: Flow, at time: Timestamp) {
        learnHost(flow.serverIP, mac: flow.hasEthernet ? flow.serverMAC : nil, role: AssetIdentity.roles(flow.appProto)?.server, at: time)
    }

    func learnHost(_ address: IPAddress, mac: MACAddress?, role: String?, at time: Timestamp) {
        guard BaselineLearner.isTrackedHost(address, policy: zonePolicy) else { return }
        if baseline.hosts[address] == nil && baseline.hosts.count >= BaselineLearner.maximumHosts {
            counters.hostsDropped += 1
            return
        }
        var host = baseline.hosts[address] ?? BaselineHost(address: address)
        if let mac, mac.raw != 0, !mac.isMulticast, host.macs.count < BaselineHost.maximumMACs { host.macs.insert(mac) }
        if let role { host.roles.insert(role) }
        if host.firstSeen == nil || time < host.firstSeen! { host.firstSeen = time }
        if host.lastSeen == nil || time > host.lastSeen! { host.lastSeen = time }
        baseline.hosts[address] = host
    }

    private func slot(for key: EdgeKey) -> Int32? {
        if let index = edgeIndex[key] { return index }
        guard edgeKeys.count < BaselineLearner.maximumEdges else {
            counters.edgesDropped += 1
            return nil
        }
        let index = Int32(edgeKeys.count)
        edgeKeys.append(key)
        edges.append(BaselineEdge())
        edgeIndex[key] = index
        timers.append([])
        return index
    }

    /// A protocol event on a flow whose edge was learned.
    func learnEvent<Event: ProtocolEvent>(_ event: Event, flow: Flow, direction: StreamDirection?, at time: Timestamp) {
        event.visitQueriedNames { learnName($0, client: flow.clientIP) }
        event.visitIdentity { field, value in
            guard !value.isEmpty, BaselineLearner.isTrackedHost(flow.serverIP, policy: zonePolicy) else { return }
            baseline.hosts[flow.serverIP, default: BaselineHost(address: flow.serverIP)].identity[field.description] = value
        }
        guard flow.baselineEdge >= 0 else { return }
        let index = Int(flow.baselineEdge)
        event.visitOperations(direction: direction) { edges[index].insert($0) }
        if edges[index].lastSeen == nil || time > edges[index].lastSeen! { edges[index].lastSeen = time }
        if let signature = event.pollingSignature { timeRequest(signature, edge: index, at: time) }
    }

    private func learnName(_ queried: String, client: IPAddress) {
        guard BaselineLearner.isTrackedHost(client, policy: zonePolicy) else { return }
        let name = queried.lowercased()
        var names = baseline.dnsNames[client] ?? []
        guard !names.contains(name) else { return }
        guard names.count < BaselineLearner.maximumNamesPerClient else { counters.namesDropped += 1; return }
        names.insert(name)
        baseline.dnsNames[client] = names
    }

    private func timeRequest(_ signature: UInt64, edge: Int, at now: Timestamp) {
        if let position = timers[edge].firstIndex(where: { $0.signature == signature }) {
            var timer = timers[edge][position]
            let interval = now - timer.last
            timer.last = now
            if interval > 0 {
                if timer.intervals.count < BaselineLearner.intervalsPerSignature {
                    timer.intervals.append(interval)
                } else {
                    timer.intervals[timer.next] = interval
                    timer.next = (timer.next + 1) % BaselineLearner.intervalsPerSignature
                }
                timer.samples += 1
            }
            timers[edge][position] = timer
        } else if timers[edge].count < BaselineLearner.signaturesPerEdge {
            timers[edge].append(RequestTimer(signature: signature, last: now))
        }
    }

    /// Notes the packet time span learned.
    func clock(_ time: Timestamp) {
        if baseline.learnedFrom == nil || time < baseline.learnedFrom! { baseline.learnedFrom = time }
        if baseline.learnedUntil == nil || time > baseline.learnedUntil! { baseline.learnedUntil = time }
    }

    /// The baseline learned so far, with the polling cycles of request/response edges.
    public func finish() -> Baseline {
        var result = baseline
        for (index, key) in edgeKeys.enumerated() {
            var edge = edges[index]
            if let cycle = BaselineLearner.pollingCycle(timers[index].map(\.intervals)) {
                var timed = BaselineEdge()
                timed.polling = cycle
                edge.merge(timed)
            }
            result.edges[key] = edge
        }
        return result
    }

    /// `pollingCycle`, for tests.
    public static func pollingCycleForTests(_ series: [[Int64]]) -> PollingCycle? { pollingCycle(series) }

    /// The cycle of the most-sampled request signature: the median interval, and the 90th
    /// percentile of the distance from it. Needs 5 intervals, and jitter at most half the period
    /// (otherwise the edge is not periodic, and has no cycle).
    static func pollingCycle(_ series: [[Int64]]) -> PollingCycle? {
        guard let intervals = series.max(by: { $0.count < $1.count }), intervals.count >= 5 else { return nil }
        let sorted = intervals.sorted()
        let median = (sorted[(sorted.count - 1) / 2] + sorted[sorted.count / 2]) / 2
        let deviations = sorted.map { abs($0 - median) }.sorted()
        let jitter = deviations[min(deviations.count - 1, deviations.count * 9 / 10)]
        guard median >= 1000, jitter * 2 <= median else { return nil }
        return PollingCycle(periodMilliseconds: (median + 500) / 1000, jitterMilliseconds: (jitter + 500) / 1000)
    }
}
