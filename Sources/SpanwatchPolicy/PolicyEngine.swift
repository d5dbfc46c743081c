import SpanwatchFlow
import SpanwatchProtocols
import SpanwatchWire

/// Checks traffic against the plant's target architecture (zones and conduits) and against the
/// learned baseline, and raises alerts into the same event stream.
///
/// - Zones (`Zones.swift`): `zone_violation`, `internet_egress`, `external_dns`, `remote_access`.
/// - Always: `critical_operation` (unless `allowed_operations` allows it on that edge),
///   `cleartext_credentials`, `port_scan`, `protocol_anomaly`.
/// - With a baseline loaded (`BaselineMonitor`): `new_host`, `new_flow`, `new_operation`,
///   `write_out_of_range`, `asset_change`, `device_silent`.
/// - In learn mode (`BaselineLearner`) it learns instead of checking the baseline.
///
/// It sits between the engine and the output: as a `FlowObserver` it sees flows start, learn
/// their application and end, and packet time pass; as an `EventSink` it sees protocol events and
/// passes every event on. Alerts go through the `AlertLedger`: one alert per key, aggregate
/// records while it keeps happening, a global rate limit. An alert's signature text is built only
/// when its key is new.
public final class PolicyEngine: EventSink, FlowObserver {
    public struct Counters: Sendable, Equatable {
        public var alerts: UInt64 = 0
        public var repeats: UInt64 = 0
        /// Keys not remembered because the table was full (their alerts were still raised).
        public var keysDropped: UInt64 = 0
        /// New alerts held back by the global rate limit (their key's aggregate record reports them).
        public var rateLimited: UInt64 = 0
        /// Aggregate records written.
        public var aggregates: UInt64 = 0
        /// Alerts written, by kind.
        public var byKind: [AlertEvent.Kind: UInt64] = [:]
        /// Hosts that began a new-device learning window, and those not given one because the
        /// table of devices learning was full (they alert as new hosts).
        public var newDevicesLearning: UInt64 = 0
        public var newDevicesDropped: UInt64 = 0
        /// Baseline alerts a new device's learning window turned into proposal entries.
        public var proposed: UInt64 = 0
    }

    /// `port_scan`: distinct (host, port) targets one source opens flows to within the window.
    public static let scanTargets = 25
    public static let scanWindow: Timestamp = 60_000_000
    public static let maximumScanSources = 8192

    struct ScanState {
        var windowStart: Timestamp
        var targets: Set<UInt64>
    }

    var scanners: [IPAddress: ScanState] = [:]
    var lastScanCompaction: Timestamp? = nil
    public let policy: ZonePolicy
    public let settings: PolicySettings
    let downstream: EventSink
    var ledger: AlertLedger
    public internal(set) var counters = Counters()
    var monitor: BaselineMonitor? = nil
    /// Learning, when in learn mode.
    public private(set) var learner: BaselineLearner? = nil
    var lastClock: Timestamp? = nil

    public init(policy: ZonePolicy, settings: PolicySettings = PolicySettings(), downstream: EventSink) {
        self.policy = policy
        self.settings = settings
        self.downstream = downstream
        ledger = AlertLedger(settings: settings.alerts)
        inventory = downstream.wants(EventType.asset) ? AssetInventory() : nil
    }

    /// Maintenance windows and mutes: alerts they cover are written, marked (see `AlertMarking`).
    /// Replaced on a reload.
    public var marking = AlertMarking()
    /// New devices in their learning window (a zone's `learn_new_devices`): address → its end.
    var learningDevices: [IPAddress: Timestamp] = [:]
    public static let maximumLearningDevices = 4096
    /// What new devices did while learning: a baseline proposal for review, never merged by itself.
    var proposal: BaselineLearner? = nil
    /// Called with the proposal when a device's window ends and at the end of input.
    public var onProposal: ((Baseline) -> Void)? = nil
    /// The proposal to extend (an earlier run's file), before the first new device.
    public var existingProposal = Baseline()
    var lastWindowCheck: Timestamp? = nil

    /// The engine's clock: the latest packet time it was told of (wall time when live and idle).
    public var clock: Timestamp? { lastClock }

    /// The hosts seen in this run, for `asset` events (only when someone wants them).
    let inventory: AssetInventory?

    /// Checks traffic against this baseline from now on (the baseline alerts start). Replacing a
    /// baseline (a reload) keeps open flows on their edges; a learner's work is dropped.
    public func monitor(with baseline: Baseline) {
        monitor = BaselineMonitor(baseline, order: monitor?.edgeKeys ?? [])
        learner = nil
        learnDuration = nil
    }

    /// The loaded baseline, if monitoring with one.
    public var baseline: Baseline? { monitor?.baseline }

    /// Learns from now on (no baseline alerts while learning); `existing` is extended.
    public func startLearning(merging existing: Baseline = Baseline()) {
        learner = BaselineLearner(merging: existing, zonePolicy: policy)
        monitor = nil
    }

    /// Ends learning: returns what was learned and monitors with it from now on.
    public func finishLearning() -> Baseline? {
        guard let learner else { return nil }
        let learned = learner.finish()
        learnerCounters = learner.counters
        self.learner = nil
        monitor = BaselineMonitor(learned, order: learner.edgeKeys)
        return learned
    }

    /// The daemon's learn mode: learn for `duration` of packet time from the first packet, then
    /// hand the baseline to `learned` (which writes it) and monitor with it.
    public func learn(for duration: Timestamp, merging existing: Baseline = Baseline(), then learned: @escaping (Baseline) -> Void) {
        startLearning(merging: existing)
        learnDuration = duration
        onLearned = learned
    }

    /// What the last learning could not keep (past its bounds).
    public private(set) var learnerCounters: BaselineLearner.Counters? = nil
    var learnDuration: Timestamp? = nil
    var learnStarted: Timestamp? = nil
    var onLearned: ((Baseline) -> Void)? = nil

    /// How many times the alert with this key was seen (1 = raised once, never repeated).
    public func occurrences(of key: String) -> UInt64 { ledger.occurrences(of: key) }

    /// `10.0.2.20 (eng-ws-1)` when the config names the host.
    func describe(_ address: IPAddress) -> String {
        guard let host = settings.host(address) else { return address.description }
        return "\(address) (\(host.name))"
    }

    // MARK: EventSink

    public func wants(_ type: EventType) -> Bool {
        switch type {
        // Every protocol event: operations, identities, credentials, queried names.
        case .flow, .alert, .asset, .stats: downstream.wants(type)
        default: true  // protocol events, and anomalies (protocol_anomaly)
        }
    }

    public func emit(_ context: EventContext, _ body: EventBody) {
        switch body {
        case .application(let event):
            emitOpened(context, event)
            return
        case .anomaly(let anomaly):
            if let flow = context.flow { checkAnomaly(anomaly, flow: flow, context: context) }
        default:
            break
        }
        guard downstream.wants(body.eventType) else { return }
        downstream.emit(context, body)
    }

    private func emitOpened<Event: ProtocolEvent>(_ context: EventContext, _ event: Event) {
        emit(context, application: event)
    }

    /// A protocol event: its critical operation and credentials, the server's answer, its
    /// identity, and (learning) what it adds to the baseline or (monitoring) how it departs from it.
    public func emit<Event: ProtocolEvent>(_ context: EventContext, application event: Event) {
        if let flow = context.flow {
            if !policy.isEmpty { checkQueries(event, flow: flow, context: context) }
            let critical = checkOperations(event, flow: flow, context: context)
            if context.direction == .toClient || event.answersPoll { serverAnswered(flow, context: context) }
            if let inventory, event.mayCarryIdentity { inventory.identity(event, flow: flow, context: context, engine: self) }
            if let learner {
                learner.learnEvent(event, flow: flow, direction: context.direction, at: context.timestamp)
            } else if flow.learningNewDevice, let proposal {
                proposal.learnEvent(event, flow: flow, direction: context.direction, at: context.timestamp)
            } else if let monitor {
                // A critical operation is its own finding: no new_operation for the same event. One
                // that `allowed_operations` allows still has its targets judged: an allowed command
                // to an object outside the learned ranges is a write_out_of_range.
                switch critical {
                case .none: monitor.checkOperations(event, flow: flow, context: context, engine: self)
                case .allowed: monitor.checkOperations(event, flow: flow, context: context, engine: self, rangesOnly: true)
                case .raised: break
                }
                monitor.checkIdentity(event, flow: flow, context: context, engine: self)
            }
            // A flow outside the policy has its writes judged one by one, unless the baseline
            // knows its edge (a learned flow that no conduit allows: the baseline judges it).
            if flow.outsidePolicy, learner == nil, !flow.learningNewDevice, critical != .raised, monitor == nil || flow.baselineEdge < 0 {
                checkWritesOutsidePolicy(event, flow: flow, context: context)
            }
        }
        guard downstream.wants(Event.eventType) else { return }
        downstream.emit(context, application: event)
    }

    // MARK: FlowObserver

    public func flowStarted(_ flow: Flow, context: EventContext) {
        checkScan(flow, context: context)
        guard !policy.isEmpty else { return }
        let clientZone = policy.zone(of: flow.clientIP)
        let serverZone = policy.zone(of: flow.serverIP)
        if let clientZone, !clientZone.internetAllowed, serverZone == nil, ZonePolicy.isPublic(flow.serverIP) {
            let name = flow.dnsName.map { " (\($0))" } ?? ""
            raise(AlertEvent(kind: .internetEgress, severity: 2, signatureID: 9_000_002,
                             signature: "SPANWATCH internet egress: \(describe(flow.clientIP)) in zone \(clientZone.name) reached \(flow.serverIP)\(name)",
                             category: "Potential Corporate Privacy Violation", fromZone: clientZone.name, toZone: ZonePolicy.external),
                  key: "internet_egress|\(flow.clientIP)|\(flow.serverIP)", context: context)
        }
        let from = clientZone?.name ?? ZonePolicy.external
        // A broadcast or multicast destination is the sender's own segment: judged by its zone.
        if policy.isSegmentBroadcast(flow.serverIP, from: flow.clientIP) { return }
        let to = serverZone?.name ?? ZonePolicy.external
        guard from != to else { return }
        if policy.allows(from: from, to: to, transport: flow.transport, serverPort: flow.serverPort, app: .unknown) { return }
        // A conduit may allow it by application protocol: decide once the protocol is known.
        let byApplication = policy.conduits.contains { conduit in
            conduit.from == from && conduit.to == to && conduit.services.contains { if case .application = $0 { true } else { false } }
        }
        if byApplication && (flow.transport == .tcp || flow.transport == .udp) {
            flow.policyPending = true
        } else {
            zoneViolation(flow, from: from, to: to, context: context)
        }
    }

    public func applicationKnown(_ flow: Flow, context: EventContext) {
        decidePending(flow, context: context)
        checkRemoteAccess(flow, context: context)
        if PolicyEngine.edgeCounts(flow) { settleEdge(flow, context: context) }
    }

    public func flowEnding(_ flow: Flow, context: EventContext) {
        decidePending(flow, context: context, ended: true)
        // Flows whose protocol was never settled are checked here, once.
        if flow.appProto == .unknown { checkRemoteAccess(flow, context: context) }
        settleEdge(flow, context: context)
        if PolicyEngine.isAnswered(flow) { serverAnswered(flow, context: context) }
    }

    public func clockAdvanced(to time: Timestamp) {
        if let last = lastClock, time <= last { return }
        lastClock = time
        learner?.clock(time)
        if let duration = learnDuration, learner != nil {
            let started = learnStarted ?? time
            learnStarted = started
            if time - started >= duration, let baseline = finishLearning() {
                learnDuration = nil
                onLearned?(baseline)
            }
        }
        monitor?.clock(time, engine: self)
        if !learningDevices.isEmpty { endLearningWindows(at: time) }
        ledger.sweep(at: time) { writeAggregate($0, at: time) }
    }

    /// End of input: aggregate records for every key that happened again since its last record.
    public func captureFinished() {
        let time = lastClock ?? 0
        ledger.flush { writeAggregate($0, at: max(time, $0.aggregate?.lastSeen ?? time)) }
        if let proposal { onProposal?(proposal.finish()) }
    }

    /// An `asset` record: about a host, not a flow (no flow envelope).
    func writeAsset(_ asset: AssetEvent, at context: EventContext) {
        downstream.emit(EventContext(timestamp: context.timestamp, pcapCount: context.pcapCount, interface: context.interface, flow: nil), .asset(asset))
    }

    private func writeAggregate(_ alert: AlertEvent, at time: Timestamp) {
        var alert = alert
        // Marked for when its occurrences were: the latest one's window or mute.
        if !marking.isEmpty { marking.mark(&alert, at: alert.aggregate?.lastSeen ?? time, policy: policy) }
        counters.aggregates += 1
        guard downstream.wants(EventType.alert) else { return }
        downstream.emit(EventContext(timestamp: time, pcapCount: 0, interface: nil, flow: nil), .alert(alert))
    }

    /// Whether a flow makes an edge: TCP once the server answered or a protocol was recognised (a
    /// refused connection is the port scan's business); other transports always.
    static func edgeCounts(_ flow: Flow) -> Bool {
        // Link housekeeping is no edge: ICMPv6 neighbour and router discovery and MLD, and anything
        // from the unspecified address (duplicate-address probes, DHCP discovery).
        if flow.clientIP.high == 0 && flow.clientIP.low == 0 { return false }
        if flow.transport == .icmpv6 && ((130...137).contains(flow.icmpType) || flow.icmpType == 143) { return false }
        guard flow.transport == .tcp else { return true }
        return isAnswered(flow) || (flow.appProto != .unknown && flow.appProto != .failed)
    }

    /// Once per flow: learn its hosts and edge, or check them against the baseline.
    private func settleEdge(_ flow: Flow, context: EventContext) {
        guard !flow.baselineDecided else { return }
        flow.baselineDecided = true
        let client = flow.hasEthernet ? flow.clientMAC : nil
        inventory?.seen(flow.clientIP, mac: client, role: AssetIdentity.roles(flow.appProto)?.client, context: context, engine: self)
        if let learner {
            learner.learnFlow(flow, at: context.timestamp)
        } else if let monitor {
            monitor.checkHost(flow.clientIP, mac: client, flow: flow, context: context, engine: self)
        }
        if PolicyEngine.isAnswered(flow) { serverAnswered(flow, context: context) }
        if learner == nil, monitor != nil, isLearningDevice(flow.clientIP, at: context.timestamp) || isLearningDevice(flow.serverIP, at: context.timestamp) {
            propose(flow, context: context)
            return
        }
        if learner == nil, let monitor, PolicyEngine.edgeCounts(flow) { monitor.checkEdge(flow, context: context, engine: self) }
    }

    /// The server of a flow answered: once per flow, it is a host seen (inventory, learning, check).
    private func serverAnswered(_ flow: Flow, context: EventContext) {
        guard !flow.baselineServerSeen else { return }
        flow.baselineServerSeen = true
        let server = flow.hasEthernet ? flow.serverMAC : nil
        inventory?.seen(flow.serverIP, mac: server, role: AssetIdentity.roles(flow.appProto)?.server, context: context, engine: self)
        if let learner {
            learner.learnServer(flow, at: context.timestamp)
        } else if let monitor {
            monitor.checkHost(flow.serverIP, mac: server, flow: flow, context: context, engine: self)
        }
    }

    /// The server answered: a SYN-ACK (or, picked up midstream, any packet back), or for UDP a reply.
    static func isAnswered(_ flow: Flow) -> Bool {
        if flow.transport == .tcp {
            return (flow.tcpFlagsToClient.contains(.syn) && flow.tcpFlagsToClient.contains(.ack))
                || (flow.midstream && flow.packetsToClient > 0)
        }
        return flow.packetsToClient > 0
    }

    // MARK: Rules

    private func decidePending(_ flow: Flow, context: EventContext, ended: Bool = false) {
        guard flow.policyPending else { return }
        flow.policyPending = false
        let from = policy.zone(of: flow.clientIP)?.name ?? ZonePolicy.external
        let to = policy.zone(of: flow.serverIP)?.name ?? ZonePolicy.external
        if !policy.allows(from: from, to: to, transport: flow.transport, serverPort: flow.serverPort, app: flow.appProto, ended: ended) {
            zoneViolation(flow, from: from, to: to, context: context)
        }
    }

    private func zoneViolation(_ flow: Flow, from: String, to: String, context: EventContext) {
        flow.outsidePolicy = true
        let service = flow.appProto.eveName.flatMap { $0 == "failed" ? nil : $0 }
            ?? "\(EveProtocol.name(flow.transport))/\(flow.serverPort)"
        raise(AlertEvent(kind: .zoneViolation, severity: 1, signatureID: 9_000_001,
                         signature: "SPANWATCH zone violation: \(flow.clientIP) (\(from)) -> \(flow.serverIP) (\(to)) \(service): "
                            + "no conduit allows it",
                         category: "Policy Violation", technique: ("T0886", "Remote Services"), fromZone: from, toZone: to),
              // One alert per client, server and protocol; flows of no known protocol share one key per
              // transport, so a sweep of ports is one zone alert (and a port_scan), not one per port.
              key: "zone_violation|\(flow.clientIP)|\(flow.serverIP)|" + (flow.appProto.eveName.flatMap { $0 == "failed" ? nil : $0 }
                  ?? EveProtocol.name(flow.transport)), context: context)
    }

    /// `port_scan`: one source opening flows to many distinct (host, port) targets within a minute
    /// of packet time. Sources tracked are bounded; past the bound, expired windows are dropped
    /// first and new sources are not tracked (counted in `keysDropped`).
    private func checkScan(_ flow: Flow, context: EventContext) {
        guard flow.transport == .tcp || flow.transport == .udp else { return }
        let now = context.timestamp
        var state = scanners[flow.clientIP] ?? ScanState(windowStart: now, targets: [])
        if scanners[flow.clientIP] == nil && scanners.count >= PolicyEngine.maximumScanSources {
            // Full (a flood of sources): drop expired windows, but at most every few seconds of
            // packet time, so a SYN flood from random addresses cannot make each packet a sweep.
            if lastScanCompaction.map({ now - $0 >= PolicyEngine.scanWindow / 10 || now < $0 }) ?? true {
                lastScanCompaction = now
                scanners = scanners.filter { now - $0.value.windowStart < PolicyEngine.scanWindow }
            }
            guard scanners.count < PolicyEngine.maximumScanSources else { counters.keysDropped += 1; return }
        }
        if now - state.windowStart >= PolicyEngine.scanWindow {
            state = ScanState(windowStart: now, targets: [])
        }
        let server = flow.serverIP
        let target = (server.high &* 0x9E37_79B9_7F4A_7C15) ^ server.low ^ UInt64(flow.serverPort) << 48 ^ UInt64(flow.ipProtocol) << 40
        if state.targets.count < PolicyEngine.scanTargets { state.targets.insert(target) }
        scanners[flow.clientIP] = state
        if state.targets.count >= PolicyEngine.scanTargets {
            let zone = policy.zone(of: flow.clientIP)?.name
            raise(AlertEvent(kind: .portScan, severity: 2, signatureID: 9_000_007,
                             signature: "SPANWATCH port scan: \(flow.clientIP) opened \(PolicyEngine.scanTargets) or more distinct host/port "
                                + "targets within \(PolicyEngine.scanWindow / 1_000_000) s",
                             category: "Attempted Information Leak", technique: ("T0846", "Remote System Discovery"), fromZone: zone),
                  key: "port_scan|\(flow.clientIP)", context: context)
        }
    }

    /// Remote-access tools by their well-known ports and service names.
    static func remoteAccessTool(port: UInt16, transport: TransportLayer, dnsName: String?) -> String? {
        if let name = dnsName?.lowercased() {
            if name.hasSuffix("teamviewer.com") { return "TeamViewer" }
            if name.hasSuffix("anydesk.com") { return "AnyDesk" }
            if name.hasSuffix("logmein.com") || name.hasSuffix("logme.in") { return "LogMeIn" }
        }
        guard transport == .tcp else { return nil }
        switch port {
        case 3389: return "RDP"
        case 5900...5903: return "VNC"
        case 22: return "SSH"
        case 23: return "Telnet"
        case 5938: return "TeamViewer"
        case 7070, 6568: return "AnyDesk"
        default: return nil
        }
    }

    /// `remote_access`: a remote-access session (answered: a rejected probe is the port scan's
    /// business) into or out of a zone that may not reach the internet (the OT and IoT zones).
    private func checkRemoteAccess(_ flow: Flow, context: EventContext) {
        guard !policy.isEmpty, PolicyEngine.isAnswered(flow) else { return }
        let clientZone = policy.zone(of: flow.clientIP)
        let serverZone = policy.zone(of: flow.serverIP)
        let otClient = clientZone.map { !$0.internetAllowed } ?? false
        let otServer = serverZone.map { !$0.internetAllowed } ?? false
        guard otClient || otServer,
              let tool = PolicyEngine.remoteAccessTool(port: flow.serverPort, transport: flow.transport, dnsName: flow.dnsName) else { return }
        let into = otServer ? "into" : "out of"
        let zone = (otServer ? serverZone : clientZone)?.name ?? ZonePolicy.external
        raise(AlertEvent(kind: .remoteAccess, severity: 2, signatureID: 9_000_006,
                         signature: "SPANWATCH remote access: \(tool) from \(flow.clientIP) to \(flow.serverIP)\(flow.dnsName.map { " (\($0))" } ?? "") \(into) zone \(zone)",
                         category: "Potentially Bad Traffic", technique: ("T0822", "External Remote Services"),
                         fromZone: clientZone?.name ?? ZonePolicy.external, toZone: serverZone?.name ?? ZonePolicy.external),
              key: "remote_access|\(flow.clientIP)|\(flow.serverIP)|\(tool)", context: context)
    }

    /// What an event's critical operation came to.
    enum CriticalOutcome { case none, allowed, raised }

    /// Critical operations and cleartext credentials; says whether a critical operation was found,
    /// and whether `allowed_operations` allowed it.
    @discardableResult
    private func checkOperations<Event: ProtocolEvent>(_ event: Event, flow: Flow, context: EventContext) -> CriticalOutcome {
        if let credentials = event.cleartextCredentials {
            cleartext(credentials.method, user: credentials.user, flow: flow, event: event, context: context)
            return .none
        }
        guard let finding = event.criticalOperation else { return .none }
        let category = finding.category
        if settings.allowedOperations.contains(where: { $0.allows(category, client: flow.clientIP, server: flow.serverIP) }) { return .allowed }
        raise(AlertEvent(kind: .criticalOperation, severity: 1, signatureID: 9_000_004,
                         signature: "SPANWATCH critical operation: \(finding.operation) from \(describe(flow.clientIP)) to \(describe(flow.serverIP))",
                         category: "Attempted Administrator Privilege Gain", technique: finding.technique,
                         fromZone: policy.zone(of: flow.clientIP)?.name, toZone: policy.zone(of: flow.serverIP)?.name, evidence: .application(event)),
              key: "critical_operation|\(flow.clientIP)|\(flow.serverIP)|\(finding.operation)", context: context)
        return .raised
    }

    private func cleartext<Event: ProtocolEvent>(_ how: String, user: String, flow: Flow, event: Event, context: EventContext) {
        raise(AlertEvent(kind: .cleartextCredentials, severity: 2, signatureID: 9_000_005,
                         signature: "SPANWATCH cleartext credentials: \(how) password for '\(user)' from \(describe(flow.clientIP)) to \(describe(flow.serverIP))",
                         category: "Potential Corporate Privacy Violation", technique: ("T0859", "Valid Accounts"),
                         fromZone: policy.zone(of: flow.clientIP)?.name, toZone: policy.zone(of: flow.serverIP)?.name, evidence: .application(event)),
              key: "cleartext_credentials|\(flow.clientIP)|\(flow.serverIP)|\(how)|\(user)", context: context)
    }

    /// `external_dns`: a host of a zone without internet resolving a name outside its zone's
    /// local domains and its baseline names.
    private func checkQueries<Event: ProtocolEvent>(_ event: Event, flow: Flow, context: EventContext) {
        event.visitQueriedNames { name in
            guard let zone = policy.zone(of: flow.clientIP), !zone.internetAllowed else { return }
            guard !ZonePolicy.isLocal(name, in: zone) else { return }
            let lowered = name.lowercased()
            if let monitor, monitor.dnsNames[flow.clientIP]?.contains(lowered) == true { return }
            raise(AlertEvent(kind: .externalDNS, severity: 2, signatureID: 9_000_003,
                             signature: "SPANWATCH external DNS: \(describe(flow.clientIP)) in zone \(zone.name) resolved \(name)",
                             category: "Potential Corporate Privacy Violation", baselineKey: "dns \(flow.clientIP) \(lowered)",
                             fromZone: zone.name, evidence: .application(event)),
                  key: "external_dns|\(flow.clientIP)|\(lowered)", context: context)
        }
    }

    /// `protocol_anomaly`: a malformed or non-conforming OT protocol message (Modbus, DNP3, S7),
    /// one alert per client, server and anomaly name.
    private func checkAnomaly(_ anomaly: AnomalyEvent, flow: Flow, context: EventContext) {
        guard anomaly.kind == .applayer, alertingAnomalyLayers.contains(anomaly.layer) else { return }
        raise(AlertEvent(kind: .protocolAnomaly, severity: 3, signatureID: 9_000_014,
                         signature: "SPANWATCH protocol anomaly: \(anomaly.event) from "
                            + "\(describe(context.direction == .toClient ? flow.serverIP : flow.clientIP)) to "
                            + "\(describe(context.direction == .toClient ? flow.clientIP : flow.serverIP))",
                         category: "Protocol Command Decode",
                         fromZone: policy.zone(of: flow.clientIP)?.name, toZone: policy.zone(of: flow.serverIP)?.name, evidence: .anomaly(anomaly)),
              key: "protocol_anomaly|\(flow.clientIP)|\(flow.serverIP)|\(anomaly.event)", context: context)
    }

    /// The layers whose anomalies are `protocol_anomaly` alerts (the OT protocols say which).
    let alertingAnomalyLayers = ProtocolRegistry.standard.alertingAnomalyLayers

    /// Raises the alert once per key; `alert` (its signature text) is only built the first time;
    /// `values`, for an alert about written values, is read again on every repeat (the aggregate
    /// record's `last_values`).
    func raise(_ alert: @autoclosure () -> AlertEvent, key: String, context: EventContext, values: (() -> String?)? = nil) {
        context.flow?.alerted = true
        let (outcome, built) = ledger.record(key: key, time: context.timestamp, counters: &counters, values: values) {
            // The hosts go with the key: its aggregate records are written without a flow.
            var made = alert()
            if let flow = context.flow, made.sourceIP == nil {
                made.sourceIP = flow.clientIP
                made.destinationIP = flow.serverIP
            }
            if let flow = context.flow, made.appProtocol == nil { made.appProtocol = flow.appProto.name }
            return made
        }
        guard outcome == .write, var built else { return }
        if !marking.isEmpty { marking.mark(&built, at: context.timestamp, policy: policy) }
        guard downstream.wants(EventType.alert) else { return }
        downstream.emit(context, .alert(built))
    }
}

/// Transport names as written in conduit services.
enum EveProtocol {
    static func name(_ transport: TransportLayer) -> String {
        switch transport {
        case .tcp: "tcp"
        case .udp: "udp"
        case .icmp, .icmpv6: "icmp"
        default: "ip"
        }
    }
}
