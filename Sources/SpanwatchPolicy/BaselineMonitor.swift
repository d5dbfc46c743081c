import SpanwatchFlow
import SpanwatchWire

/// Checks traffic against a loaded baseline: `new_host`, `new_flow`, `new_operation`,
/// `write_out_of_range`, `asset_change` and `device_silent`. Every alert a baseline approval
/// could silence names the missing key (`spanwatch.baseline_key`), in the form
/// `spanwatch baseline approve` reads.
final class BaselineMonitor {
    let baseline: Baseline
    /// The names each client resolved (read per DNS query: kept apart from `baseline`).
    let dnsNames: [IPAddress: Set<String>]
    /// Edges in a fixed order; flows cache their index (`Flow.baselineEdge`).
    let edgeKeys: [EdgeKey]
    /// An edge's rules behind a reference: the per-event check reads them without copying the
    /// struct (and retaining each of its sets).
    final class Rules {
        let edge: BaselineEdge
        init(_ edge: BaselineEdge) { self.edge = edge }
    }
    /// nil for an edge a reloaded baseline no longer has (flows still point at its number).
    let edges: [Rules?]
    let edgeIndex: [EdgeKey: Int32]

    /// Polling edges: when their device last answered, in packet time.
    struct Watch {
        var edge: Int
        var cycle: PollingCycle
        var lastAnswer: Timestamp?
        var silent: Bool
    }
    var watches: [Watch] = []
    /// The watch of each edge, or -1 (an array: looked up on every answer).
    var watchOfEdge: [Int32] = []
    var monitoringSince: Timestamp? = nil

    /// `order` keeps the edge numbering of a learner that hands over, or of the baseline a reload
    /// replaces: open flows keep the number of their edge.
    init(_ baseline: Baseline, order: [EdgeKey] = []) {
        self.baseline = baseline
        dnsNames = baseline.dnsNames
        let known = Set(order)
        edgeKeys = order + baseline.edges.keys.filter { !known.contains($0) }.sorted()
        edges = edgeKeys.map { key in baseline.edges[key].map(Rules.init) }
        var index: [EdgeKey: Int32] = [:]
        for (position, key) in edgeKeys.enumerated() where edges[position] != nil { index[key] = Int32(position) }
        edgeIndex = index
        watchOfEdge = Array(repeating: -1, count: edgeKeys.count)
        for (position, edge) in edges.enumerated() {
            guard let cycle = edge?.edge.polling else { continue }
            watchOfEdge[position] = Int32(watches.count)
            watches.append(Watch(edge: position, cycle: cycle, lastAnswer: nil, silent: false))
        }
    }

    /// The learned edge a flow belongs to: its exact key, or, when the monitored flow's protocol was
    /// not recognised (picked up midstream), the edge with the same service and any protocol.
    func edge(for key: EdgeKey) -> Int32? {
        if let index = edgeIndex[key] { return index }
        guard key.app.isEmpty else { return nil }
        for app in BaselineEdge.applications {
            var other = key
            other.app = app
            if let index = edgeIndex[other] { return index }
        }
        return nil
    }

    // MARK: Hosts

    func checkHost(_ address: IPAddress, mac: MACAddress?, flow: Flow, context: EventContext, engine: PolicyEngine) {
        guard BaselineLearner.isTrackedHost(address, policy: engine.policy) else { return }
        guard let host = baseline.hosts[address] else {
            // A zone that learns new devices gives the host its window instead of an alert.
            if engine.startLearningDevice(address, context: context) { return }
            let zone = engine.policy.zone(of: address)?.name
            engine.raise(AlertEvent(kind: .newHost, severity: 2, signatureID: 9_000_008,
                                    signature: "SPANWATCH new host: \(engine.describe(address))\(mac.map { " MAC \($0)\(OUIVendors.vendor(of: $0).map { " (\($0))" } ?? "")" } ?? "") "
                                        + "is not in the baseline" + (zone.map { ", zone \($0)" } ?? ""),
                                    category: "Potentially Bad Traffic", baselineKey: "host \(address)",
                                    fromZone: engine.policy.zone(of: flow.clientIP)?.name, toZone: engine.policy.zone(of: flow.serverIP)?.name),
                         key: "new_host|\(address)", context: context)
            return
        }
        if let mac, mac.raw != 0, !mac.isMulticast, !host.macs.isEmpty, !host.macs.contains(mac) {
            let was = host.macs.map(\.description).sorted().joined(separator: ", ")
            engine.raise(AlertEvent(kind: .assetChange, severity: 2, signatureID: 9_000_013,
                                    signature: "SPANWATCH asset change: \(engine.describe(address)) now has MAC \(mac)"
                                        + "\(OUIVendors.vendor(of: mac).map { " (\($0))" } ?? ""), the baseline has \(was)",
                                    category: "Potentially Bad Traffic", technique: ("T0830", "Adversary-in-the-Middle"),
                                    baselineKey: "host \(address) | mac \(mac)",
                                    fromZone: engine.policy.zone(of: flow.clientIP)?.name, toZone: engine.policy.zone(of: flow.serverIP)?.name),
                         key: "asset_change|\(address)|mac|\(mac)", context: context)
        }
    }

    /// Identity fields the server revealed that differ from the baseline's.
    func checkIdentity<Event: ProtocolEvent>(_ event: Event, flow: Flow, context: EventContext, engine: PolicyEngine) {
        guard event.mayCarryIdentity, let host = baseline.hosts[flow.serverIP], !host.identity.isEmpty else { return }
        event.visitIdentity { name, value in
            let field = name.description
            guard let learned = host.identity[field], learned != value, !value.isEmpty else { return }
            let firmware = field == "firmware" || field == "revision"
            engine.raise(AlertEvent(kind: .assetChange, severity: firmware ? 1 : 2, signatureID: 9_000_013,
                                    signature: "SPANWATCH asset change: \(engine.describe(flow.serverIP)) \(field) is '\(value)', the baseline has '\(learned)'",
                                    category: "Potentially Bad Traffic",
                                    technique: firmware ? ("T0839", "Module Firmware") : nil,
                                    baselineKey: "host \(flow.serverIP) | identity \(field) \(value)",
                                    fromZone: engine.policy.zone(of: flow.clientIP)?.name, toZone: engine.policy.zone(of: flow.serverIP)?.name,
                                    evidence: .application(event)),
                         key: "asset_change|\(flow.serverIP)|\(field)|\(value)", context: context)
        }
    }

    // MARK: Edges

    func checkEdge(_ flow: Flow, context: EventContext, engine: PolicyEngine) {
        let key = EdgeKey(flow)
        if let index = edge(for: key) {
            flow.baselineEdge = index
            return
        }
        // The internet side of a zone allowed to reach it is that zone's business, not the baseline's.
        if ZonePolicy.isPublic(flow.serverIP), let zone = engine.policy.zone(of: flow.clientIP), zone.internetAllowed,
           engine.policy.zone(of: flow.serverIP) == nil { return }
        flow.outsidePolicy = true
        let from = engine.policy.zone(of: flow.clientIP)?.name
        let to = engine.policy.zone(of: flow.serverIP)?.name
        let name = flow.dnsName.map { " (\($0))" } ?? ""
        engine.raise(AlertEvent(kind: .newFlow, severity: 2, signatureID: 9_000_009,
                                signature: "SPANWATCH new flow: \(engine.describe(flow.clientIP)) -> \(engine.describe(flow.serverIP))\(name) "
                                    + "\(key.service)\(key.app.isEmpty ? "" : " \(key.app)") is not in the baseline",
                                category: "Potentially Bad Traffic", baselineKey: "edge \(key)", fromZone: from, toZone: to),
                     key: "new_flow|\(key)", context: context)
    }

    /// Operations of a protocol event on a learned edge. One finding per event: a function the
    /// edge never used is the `new_operation`; only a known write function is judged by range.
    /// `rangesOnly`: judge write ranges alone (an allowed critical operation's targets).
    func checkOperations<Event: ProtocolEvent>(_ event: Event, flow: Flow, context: EventContext, engine: PolicyEngine,
                                               rangesOnly: Bool = false) {
        guard flow.baselineEdge >= 0, let rules = edges[Int(flow.baselineEdge)] else { return }
        let index = Int(flow.baselineEdge)
        let watch = Int(watchOfEdge[index])
        if watch >= 0 && event.answersPoll {
            watches[watch].lastAnswer = context.timestamp
            watches[watch].silent = false
        }
        var found = false
        event.visitOperations(direction: context.direction) { operation in
            guard !found, !rangesOnly || operation.isRangedWrite, !rules.edge.allows(operation) else { return }
            let edge = rules.edge
            found = true
            let key = edgeKeys[index]
            let from = engine.policy.zone(of: flow.clientIP)?.name
            let to = engine.policy.zone(of: flow.serverIP)?.name
            let who = "\(engine.describe(flow.clientIP)) -> \(engine.describe(flow.serverIP)) \(key.service)"
            if operation.isRangedWrite {
                let learned = operation.value.text.flatMap { edge.ranges(operation.field, table: $0)?.description } ?? "none"
                engine.raise(AlertEvent(kind: .writeOutOfRange, severity: 1, signatureID: 9_000_011,
                                        signature: "SPANWATCH write out of range: \(who) \(operation.humanText), learned writes: \(learned)",
                                        category: "Attempted Administrator Privilege Gain", technique: ("T0836", "Modify Parameter"),
                                        baselineKey: "edge \(key) | \(operation.keyText)", fromZone: from, toZone: to, evidence: .application(event)),
                             key: "write_out_of_range|\(key)|\(operation.keyText)", context: context)
            } else {
                let write = operation.isWrite
                engine.raise(AlertEvent(kind: .newOperation, severity: write ? 1 : 2, signatureID: 9_000_010,
                                        signature: "SPANWATCH new operation: \(who) used \(operation.humanText), never seen on this edge",
                                        category: write ? "Attempted Administrator Privilege Gain" : "Potentially Bad Traffic",
                                        technique: write ? ("T0855", "Unauthorized Command Message") : nil,
                                        baselineKey: "edge \(key) | \(operation.keyText)", fromZone: from, toZone: to, evidence: .application(event)),
                             key: "new_operation|\(key)|\(operation.keyText)", context: context)
            }
        }
    }

    // MARK: Silence

    /// Microseconds as seconds with three decimals (`1.250`), without Foundation.
    static func seconds(_ micro: Int64) -> String {
        let milli = (micro + 500) / 1000
        let fraction = String(milli % 1000)
        return "\(milli / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }

    /// `device_silent`: a polling edge whose device has not answered for longer than its cycle
    /// allows, in packet time (monitoring that starts mid-cycle counts from its first packet).
    func clock(_ now: Timestamp, engine: PolicyEngine) {
        if monitoringSince == nil { monitoringSince = now }
        for position in watches.indices where !watches[position].silent {
            let watch = watches[position]
            let since = watch.lastAnswer ?? monitoringSince!
            let quiet = now - since
            guard quiet > watch.cycle.silenceAllowedMicroseconds else { continue }
            watches[position].silent = true
            let key = edgeKeys[watch.edge]
            let seconds = BaselineMonitor.seconds
            var alert = AlertEvent(kind: .deviceSilent, severity: 2, signatureID: 9_000_012,
                                   signature: "SPANWATCH device silent: \(engine.describe(key.server)) has not answered "
                                       + "\(engine.describe(key.client)) on \(key.service)\(key.app.isEmpty ? "" : " \(key.app)") for \(seconds(quiet)) s "
                                       + "(learned polling every \(seconds(watch.cycle.periodMilliseconds * 1000)) s, "
                                       + "jitter \(seconds(watch.cycle.jitterMilliseconds * 1000)) s)",
                                   category: "Misc Activity", technique: ("T0826", "Loss of Availability"),
                                   fromZone: engine.policy.zone(of: key.client)?.name, toZone: engine.policy.zone(of: key.server)?.name)
            alert.sourceIP = key.client
            alert.destinationIP = key.server
            engine.raise(alert, key: "device_silent|\(key)", context: EventContext(timestamp: now, pcapCount: 0, interface: nil, flow: nil))
        }
    }
}
