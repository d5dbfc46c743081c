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
    func learnEvent(_ body: EventBody, flow: Flow, direction: StreamDirection?, at time: Timestamp) {
        if case .dns(let event) = body, !event.message.isResponse {
            learnNames(event, client: flow.clientIP)
        }
        AssetIdentity.identity(body) { field, value in
            guard !value.isEmpty, BaselineLearner.isTrackedHost(flow.serverIP, policy: zonePolicy) else { return }
            baseline.hosts[flow.serverIP, default: BaselineHost(address: flow.serverIP)].identity[field.description] = value
        }
        guard flow.baselineEdge >= 0 else { return }
        let index = Int(flow.baselineEdge)
        ObservedOperations.visit(body, direction: direction) { edges[index].insert($0) }
        if edges[index].lastSeen == nil || time > edges[index].lastSeen! { edges[index].lastSeen = time }
        if let signature = PollingSignature.of(body) { timeRequest(signature, edge: index, at: time) }
    }

    private func learnNames(_ event: DNSEvent, client: IPAddress) {
        guard BaselineLearner.isTrackedHost(client, policy: zonePolicy) else { return }
        for query in event.queries where !query.name.isEmpty {
            let name = String(decoding: query.name, as: UTF8.self).lowercased()
            var names = baseline.dnsNames[client] ?? []
            guard !names.contains(name) else { continue }
            guard names.count < BaselineLearner.maximumNamesPerClient else { counters.namesDropped += 1; continue }
            names.insert(name)
            baseline.dnsNames[client] = names
        }
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

/// The request a polling master repeats: what identifies "the same request again".
enum PollingSignature {
    static func of(_ body: EventBody) -> UInt64? {
        switch body {
        case .modbus(let transaction):
            guard let request = transaction.request else { return nil }
            return 1 << 56 | UInt64(request.unitId) << 40 | UInt64(request.functionRaw) << 32 | UInt64(request.address) << 16 | UInt64(request.quantity)
        case .dnp3(let event):
            guard event.kind == .request else { return nil }
            let group = event.fragment.keptObjectCount > 0 ? UInt64(event.fragment.objects[0].group) : 0
            return 2 << 56 | UInt64(event.fragment.function.rawValue) << 32 | group << 16 | UInt64(event.link.destination)
        case .s7comm(let event):
            guard case .s7comm(let pdu) = event.payload, pdu.rosctr == 1, pdu.hasFunction else { return nil }
            let item = pdu.keptItemCount > 0 ? pdu.items[0] : S7Item()
            return 3 << 56 | UInt64(pdu.function) << 48 | UInt64(item.area) << 40 | UInt64(item.dbNumber) << 24 | UInt64(item.byteAddress & 0xFFFFFF)
        default:
            return nil
        }
    }

    /// A response from the polled device: the edge is alive.
    static func isAnswer(_ body: EventBody) -> Bool {
        switch body {
        case .modbus(let transaction): transaction.response != nil
        case .dnp3(let event): event.kind != .request
        case .s7comm(let event):
            if case .s7comm(let pdu) = event.payload { pdu.rosctr == 2 || pdu.rosctr == 3 } else { false }
        default: false
        }
    }
}

extension BaselineEdge {
    /// Adds an observed operation (learning, or `baseline approve`).
    public mutating func insert(_ operation: ObservedOperation) {
        switch operation {
        case .modbusUnit(let unit): modbus.units.insert(unit)
        case .modbusFunction(let code): modbus.functions.insert(code)
        case .modbusRead(let table, let range): modbus.reads[table, default: AddressRanges()].insert(range)
        case .modbusWrite(let table, let range): modbus.writes[table, default: AddressRanges()].insert(range)
        case .dnp3Link(let link): dnp3.links.insert(link)
        case .dnp3Function(let code): dnp3.functions.insert(code)
        case .dnp3Group(let group): dnp3.groups.insert(group)
        case .dnp3Write(let group, let range): dnp3.writes[group, default: AddressRanges()].insert(range)
        case .s7Function(let name): s7comm.functions.insert(name)
        case .s7Write(let area, let range): s7comm.writes[area, default: AddressRanges()].insert(range)
        case .s7PIService(let name): s7comm.piServices.insert(name)
        case .mqttClientID(let id): if mqtt.clientIDs.count < BaselineEdge.maximumNames { mqtt.clientIDs.insert(id) }
        case .mqttPublish(let topic): if mqtt.publish.count < BaselineEdge.maximumNames { mqtt.publish.insert(topic) }
        case .mqttSubscribe(let filter): if mqtt.subscribe.count < BaselineEdge.maximumNames { mqtt.subscribe.insert(filter) }
        case .httpMethod(let method): if http.methods.count < BaselineEdge.maximumNames { http.methods.insert(method) }
        case .httpHost(let host): if http.hosts.count < BaselineEdge.maximumNames { http.hosts.insert(host) }
        }
    }

    /// Whether the edge allows an operation. An edge with nothing listed for a protocol allows any
    /// operation of it (an edge approved from a new_flow alert, before anyone restricts it); once
    /// something is listed, every list of that protocol constrains. Write ranges constrain the
    /// tables (DNP3 groups, S7 areas) they are listed for; a new writer is caught by its function.
    public func allows(_ operation: ObservedOperation) -> Bool {
        switch operation {
        case .modbusUnit(let unit): modbus.isEmpty || modbus.units.contains(unit)
        case .modbusFunction(let code): modbus.isEmpty || modbus.functions.contains(code)
        case .modbusRead: true
        case .modbusWrite(let table, let range): modbus.writes[table].map { $0.isEmpty || $0.covers(range) } ?? true
        case .dnp3Link(let link): dnp3.isEmpty || dnp3.links.contains(link)
        case .dnp3Function(let code): dnp3.isEmpty || dnp3.functions.contains(code)
        case .dnp3Group(let group): dnp3.isEmpty || dnp3.groups.contains(group)
        case .dnp3Write(let group, let range): dnp3.writes[group].map { $0.isEmpty || $0.covers(range) } ?? true
        case .s7Function(let name): s7comm.isEmpty || s7comm.functions.contains(name)
        case .s7Write(let area, let range): s7comm.writes[area].map { $0.isEmpty || $0.covers(range) } ?? true
        case .s7PIService(let name): s7comm.isEmpty || s7comm.piServices.contains(name)
        case .mqttClientID(let id): mqtt.isEmpty || mqtt.clientIDs.contains(id) || mqtt.clientIDs.count >= BaselineEdge.maximumNames
        case .mqttPublish(let topic): mqtt.isEmpty || mqtt.publish.contains(topic) || mqtt.publish.count >= BaselineEdge.maximumNames
        case .mqttSubscribe(let filter): mqtt.isEmpty || mqtt.subscribe.contains(filter) || mqtt.subscribe.count >= BaselineEdge.maximumNames
        case .httpMethod(let method): http.isEmpty || http.methods.contains(method) || http.methods.count >= BaselineEdge.maximumNames
        case .httpHost(let host): http.isEmpty || http.hosts.contains(host) || http.hosts.count >= BaselineEdge.maximumNames
        }
    }
}
