import SpanwatchFlow
import SpanwatchWire

/// Checks traffic against the plant's target architecture (zones and conduits) and raises
/// alerts into the same event stream: `zone_violation`, `internet_egress`, `external_dns` and
/// `remote_access` (these need zones); and, zones or not, `critical_operation` and
/// `cleartext_credentials` from protocol events and `port_scan` from flow starts.
///
/// An alert's signature text is built only when its key is new; a repeat costs its key.
///
/// It sits between the engine and the output: as a `FlowObserver` it sees flows start, learn
/// their application and end; as an `EventSink` it sees protocol events (DNS queries) and passes
/// every event on. The same key (kind, hosts, zones, service or name) raises one alert; repeats
/// are counted (`repeats`), and the number of keys remembered is bounded.
public final class PolicyEngine: EventSink, FlowObserver {
    public struct Counters: Sendable, Equatable {
        public var alerts: UInt64 = 0
        public var repeats: UInt64 = 0
        /// Keys not remembered because the table was full (their alerts were still raised).
        public var keysDropped: UInt64 = 0
    }

    public static let maximumKeys = 65536
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
    let downstream: EventSink
    var raised: [String: UInt64] = [:]
    public private(set) var counters = Counters()

    public init(policy: ZonePolicy, downstream: EventSink) {
        self.policy = policy
        self.downstream = downstream
    }

    /// How many times the alert with this key was seen (1 = raised once, never repeated).
    public func occurrences(of key: String) -> UInt64 { raised[key] ?? 0 }

    // MARK: EventSink

    public func wants(_ kind: EventKind) -> Bool {
        switch kind {
        case .dns: true  // queries for external_dns
        case .modbus, .dnp3, .s7comm, .http, .mqtt: true  // critical operations, credentials
        default: downstream.wants(kind)
        }
    }

    public func emit(_ context: EventContext, _ body: EventBody) {
        if case .dns = body, !policy.isEmpty, let flow = context.flow, case .dns(let event) = body, !event.message.isResponse {
            checkQuery(event, flow: flow, context: context)
        }
        if let flow = context.flow {
            checkOperations(body, flow: flow, context: context)
        }
        guard downstream.wants(body.kind) else { return }
        downstream.emit(context, body)
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
                             signature: "SPANWATCH internet egress: \(flow.clientIP) in zone \(clientZone.name) reached \(flow.serverIP)\(name)",
                             category: "Potential Corporate Privacy Violation", fromZone: clientZone.name, toZone: ZonePolicy.external),
                  key: "internet_egress|\(flow.clientIP)|\(flow.serverIP)", context: context)
        }
        let from = clientZone?.name ?? ZonePolicy.external
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
    }

    public func flowEnding(_ flow: Flow, context: EventContext) {
        decidePending(flow, context: context)
        // Flows whose protocol was never settled are checked here, once.
        if flow.appProto == .unknown { checkRemoteAccess(flow, context: context) }
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

    private func decidePending(_ flow: Flow, context: EventContext) {
        guard flow.policyPending else { return }
        flow.policyPending = false
        let from = policy.zone(of: flow.clientIP)?.name ?? ZonePolicy.external
        let to = policy.zone(of: flow.serverIP)?.name ?? ZonePolicy.external
        if !policy.allows(from: from, to: to, transport: flow.transport, serverPort: flow.serverPort, app: flow.appProto) {
            zoneViolation(flow, from: from, to: to, context: context)
        }
    }

    private func zoneViolation(_ flow: Flow, from: String, to: String, context: EventContext) {
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

    private func checkOperations(_ body: EventBody, flow: Flow, context: EventContext) {
        switch body {
        case .modbus, .dnp3, .s7comm:
            guard let finding = CriticalOperations.find(body) else { return }
            raise(AlertEvent(kind: .criticalOperation, severity: 1, signatureID: 9_000_004,
                             signature: "SPANWATCH critical operation: \(finding.operation) from \(flow.clientIP) to \(flow.serverIP)",
                             category: "Attempted Administrator Privilege Gain", technique: finding.technique,
                             fromZone: policy.zone(of: flow.clientIP)?.name, toZone: policy.zone(of: flow.serverIP)?.name),
                  key: "critical_operation|\(flow.clientIP)|\(flow.serverIP)|\(finding.operation)", context: context)
        case .http(let event):
            guard let request = event.request, let scheme = request.authorizationScheme,
                  String(decoding: scheme, as: UTF8.self).lowercased() == "basic" else { return }
            let user = request.username.map { String(decoding: $0, as: UTF8.self) } ?? "?"
            cleartext("HTTP Basic", user: user, flow: flow, context: context)
        case .mqtt(let event):
            guard event.message.type == 1, event.message.passwordPresent else { return }
            let user = event.username.map { String(decoding: $0, as: UTF8.self) } ?? "?"
            cleartext("MQTT CONNECT", user: user, flow: flow, context: context)
        default:
            return
        }
    }

    private func cleartext(_ how: String, user: String, flow: Flow, context: EventContext) {
        raise(AlertEvent(kind: .cleartextCredentials, severity: 2, signatureID: 9_000_005,
                         signature: "SPANWATCH cleartext credentials: \(how) password for '\(user)' from \(flow.clientIP) to \(flow.serverIP)",
                         category: "Potential Corporate Privacy Violation", technique: ("T0859", "Valid Accounts"),
                         fromZone: policy.zone(of: flow.clientIP)?.name, toZone: policy.zone(of: flow.serverIP)?.name),
              key: "cleartext_credentials|\(flow.clientIP)|\(flow.serverIP)|\(how)|\(user)", context: context)
    }

    private func checkQuery(_ event: DNSEvent, flow: Flow, context: EventContext) {
        guard let zone = policy.zone(of: flow.clientIP), !zone.internetAllowed else { return }
        for query in event.queries {
            let name = String(decoding: query.name, as: UTF8.self)
            guard !name.isEmpty, !ZonePolicy.isLocal(name, in: zone) else { continue }
            raise(AlertEvent(kind: .externalDNS, severity: 2, signatureID: 9_000_003,
                             signature: "SPANWATCH external DNS: \(flow.clientIP) in zone \(zone.name) resolved \(name)",
                             category: "Potential Corporate Privacy Violation", fromZone: zone.name),
                  key: "external_dns|\(flow.clientIP)|\(name.lowercased())", context: context)
        }
    }

    /// Raises the alert once per key; `alert` (its signature text) is only built the first time.
    private func raise(_ alert: @autoclosure () -> AlertEvent, key: String, context: EventContext) {
        context.flow?.alerted = true
        if let seen = raised[key] {
            raised[key] = seen + 1
            counters.repeats += 1
            return
        }
        if raised.count < PolicyEngine.maximumKeys { raised[key] = 1 } else { counters.keysDropped += 1 }
        counters.alerts += 1
        if downstream.wants(.alert) { downstream.emit(context, .alert(alert())) }
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
