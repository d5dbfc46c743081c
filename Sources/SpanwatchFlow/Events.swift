import SpanwatchWire

/// Packet time in microseconds since the Unix epoch. Offline runs use it as the clock.
public typealias Timestamp = Int64

/// Why a flow record was written (`flow.reason`).
public enum FlowEndReason: String, Sendable {
    case timeout, closed, shutdown, memcap
    /// A periodic record for a flow that is still open (OT sessions stay up for weeks).
    case interim
}

/// Which side of the flow sent the bytes an event is about.
public enum StreamDirection: Sendable {
    case toServer, toClient
}

/// An anomaly: a malformed frame, a stream problem or a non-conforming application message.
public struct AnomalyEvent: Sendable {
    public enum Kind: String, Sendable { case decode, stream, applayer }
    public var kind: Kind
    /// A stable name such as `modbus.invalid_length` or `stream.reassembly_gap`.
    public var event: String
    public var layer: String
    /// For decode anomalies without a flow: what the frame revealed.
    public var sourceIP: IPAddress?
    public var destinationIP: IPAddress?
    /// Stream anomalies: the sequence number and length concerned.
    public var sequence: UInt32?
    public var length: Int?
    /// Anomalies of the same flow left unwritten since the previous one that was written.
    public var suppressedBefore: UInt64 = 0

    public init(kind: Kind, event: String, layer: String) {
        self.kind = kind
        self.event = event
        self.layer = layer
    }
}

/// An alert: a finding of the policy (zones, baseline, detections), as plain data. The rules
/// that raise alerts live in the policy module.
public struct AlertEvent: Sendable {
    /// The alert kinds of CONTRACT.md §3.
    public enum Kind: String, Sendable, CaseIterable {
        case newHost = "new_host", newFlow = "new_flow", zoneViolation = "zone_violation"
        case newOperation = "new_operation", writeOutOfRange = "write_out_of_range"
        case criticalOperation = "critical_operation", cleartextCredentials = "cleartext_credentials"
        case internetEgress = "internet_egress", externalDNS = "external_dns", deviceSilent = "device_silent"
        case portScan = "port_scan", remoteAccess = "remote_access", assetChange = "asset_change"
        case protocolAnomaly = "protocol_anomaly"

        /// The name as a static string (counters keyed by kind, without building text).
        public var staticName: StaticString {
            switch self {
            case .newHost: "new_host"
            case .newFlow: "new_flow"
            case .zoneViolation: "zone_violation"
            case .newOperation: "new_operation"
            case .writeOutOfRange: "write_out_of_range"
            case .criticalOperation: "critical_operation"
            case .cleartextCredentials: "cleartext_credentials"
            case .internetEgress: "internet_egress"
            case .externalDNS: "external_dns"
            case .deviceSilent: "device_silent"
            case .portScan: "port_scan"
            case .remoteAccess: "remote_access"
            case .assetChange: "asset_change"
            case .protocolAnomaly: "protocol_anomaly"
            }
        }
    }

    public var kind: Kind
    /// 1 high, 2 medium, 3 low (Suricata's scale).
    public var severity: UInt8
    public var signatureID: UInt32
    public var signature: String
    public var category: String
    /// ATT&CK for ICS technique, when one fits (`T0843`, "Program Download").
    public var technique: (id: String, name: String)?
    /// The baseline key whose absence raised the alert (what `baseline approve` would add).
    public var baselineKey: String?
    public var fromZone: String?
    public var toZone: String?
    /// The hosts, for records written without a flow (aggregates, a device gone silent).
    public var sourceIP: IPAddress?
    public var destinationIP: IPAddress?
    /// The protocol event that raised the alert; its object is written into the alert record.
    public var evidence: AlertEvidence?
    /// On an aggregate record: how often the alert's key was seen since the last record.
    public var aggregate: AlertAggregate?
    /// The values the operation behind the alert wrote, as text (`[0, 0]`), when it wrote any.
    public var values: String?
    /// The application protocol of the alert's flow (`modbus`), for mutes that name one.
    public var appProtocol: String?
    /// The maintenance window that covered the alert (its severity is then 3).
    public var maintenance: String?
    /// The mute rule that matched the alert (still written, and counted).
    public var muted: String?

    public init(kind: Kind, severity: UInt8, signatureID: UInt32, signature: String, category: String,
                technique: (id: String, name: String)? = nil, baselineKey: String? = nil, fromZone: String? = nil, toZone: String? = nil,
                evidence: EventBody? = nil) {
        self.kind = kind
        self.severity = severity
        self.signatureID = signatureID
        self.signature = signature
        self.category = category
        self.technique = technique
        self.baselineKey = baselineKey
        self.fromZone = fromZone
        self.toZone = toZone
        self.evidence = evidence.map(AlertEvidence.init)
    }
}

/// The protocol event behind an alert (boxed: an alert is itself an event body).
public final class AlertEvidence: @unchecked Sendable {
    public let body: EventBody
    public init(_ body: EventBody) { self.body = body }
}

/// A periodic record for an alert key that kept happening after its alert.
public struct AlertAggregate: Sendable, Equatable {
    /// Occurrences since the previous record of this key (the alert, or the last aggregate).
    public var count: UInt64
    /// Occurrences since the key was first seen.
    public var total: UInt64
    public var firstSeen: Timestamp
    public var lastSeen: Timestamp
    /// The first alert of the key was held back by the global rate limit.
    public var firstHeldBack: Bool
    /// For an alert about written values: those of the key's first and latest occurrence.
    public var firstValues: String?
    public var lastValues: String?
    public init(count: UInt64, total: UInt64, firstSeen: Timestamp, lastSeen: Timestamp, firstHeldBack: Bool,
                firstValues: String? = nil, lastValues: String? = nil) {
        self.count = count
        self.total = total
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.firstHeldBack = firstHeldBack
        self.firstValues = firstValues
        self.lastValues = lastValues
    }
}

/// A host seen for the first time in this run, or one that revealed something new about itself
/// (a role, an identity field): the asset inventory the traffic builds.
public struct AssetEvent: Sendable {
    public enum Change: String, Sendable { case new, role, identity }
    public var address: IPAddress
    public var mac: MACAddress?
    public var vendor: String?
    public var roles: [String]
    /// Identity fields (`vendor`, `product`, `firmware`, ...), sorted by name.
    public var identity: [(field: StaticString, value: String)]
    public var change: Change
    public init(address: IPAddress, mac: MACAddress?, vendor: String?, roles: [String], identity: [(field: StaticString, value: String)], change: Change) {
        self.address = address
        self.mac = mac
        self.vendor = vendor
        self.roles = roles
        self.identity = identity
        self.change = change
    }
}

/// Counters for operators (EVE `stats`): sections of named values, as Suricata nests them.
public struct StatsEvent: Sendable {
    public struct Section: Sendable {
        public var name: StaticString
        public var values: [(name: StaticString, value: UInt64)]
        public init(_ name: StaticString, _ values: KeyValuePairs<StaticString, UInt64>) {
            self.name = name
            self.values = values.map { (name: $0.key, value: $0.value) }
        }
        public init(_ name: StaticString, entries: [(name: StaticString, value: UInt64)]) {
            self.name = name
            self.values = entries
        }
        /// The same counters per interface, per output, per kind: EVE writes them as an object
        /// under `breakdown.key` (`"interfaces": {"eth0": {...}}`), metrics as a label.
        public var breakdown: Breakdown? = nil
    }
    public struct Breakdown: Sendable {
        /// The EVE key (`interfaces`) and the Prometheus label (`interface`).
        public var key: StaticString
        public var label: StaticString
        public var instances: [(name: String, values: [(name: StaticString, value: UInt64)])]
        /// EVE leaves out instances whose counters are all zero (alert kinds never raised);
        /// metrics keep them, so that every series exists from the first scrape.
        public var eveOmitsZeros: Bool
        public init(key: StaticString, label: StaticString, instances: [(name: String, values: [(name: StaticString, value: UInt64)])],
                    eveOmitsZeros: Bool = false) {
            self.key = key
            self.label = label
            self.instances = instances
            self.eveOmitsZeros = eveOmitsZeros
        }
    }
    /// Seconds since the sensor started (wall clock), when known.
    public var uptime: Int64?
    public var sections: [Section]
    public init(uptime: Int64? = nil, sections: [Section]) {
        self.uptime = uptime
        self.sections = sections
    }
}

/// What an event is about: a protocol's event, or one of the machinery's own.
public enum EventBody: Sendable {
    /// A protocol's event, kept (tests, alert evidence). On the packet path protocol events
    /// travel unboxed, through `EventSink.emit(_:application:)`.
    case application(any ProtocolEvent)
    case alert(AlertEvent)
    case asset(AssetEvent)
    case stats(StatsEvent)
    case flow(FlowEndReason)
    case anomaly(AnomalyEvent)
}

/// Where and when an event happened; the flow (when there is one) gives the envelope fields.
public struct EventContext {
    public var timestamp: Timestamp
    /// 1-based frame number in the input that completed the event (files); 0 when unknown.
    public var pcapCount: UInt64
    public var interface: String?
    public var flow: Flow?
    public var direction: StreamDirection?

    public init(timestamp: Timestamp, pcapCount: UInt64, interface: String?, flow: Flow?, direction: StreamDirection? = nil) {
        self.timestamp = timestamp
        self.pcapCount = pcapCount
        self.interface = interface
        self.flow = flow
        self.direction = direction
    }
}

extension EventBody {
    public var eventType: EventType {
        switch self {
        case .application(let event): event.eventType
        case .alert: .alert
        case .asset: .asset
        case .stats: .stats
        case .flow: .flow
        case .anomaly: .anomaly
        }
    }

    /// The protocol event, if it is one of type `Event`.
    public func application<Event: ProtocolEvent>(as type: Event.Type) -> Event? {
        if case .application(let event) = self { event as? Event } else { nil }
    }
}

/// Receives events in the order they happen. Output implements it; tests collect into arrays.
public protocol EventSink: AnyObject {
    func emit(_ context: EventContext, _ body: EventBody)
    /// A protocol's event, unboxed: generic from the session to here, so the packet path
    /// allocates nothing for it. (No default: a sink that keeps events says so by being a
    /// `BoxingEventSink`.)
    func emit<Event: ProtocolEvent>(_ context: EventContext, application event: Event)
    /// Whether events of this type are used at all. Protocol sessions skip building events
    /// nobody wants (every PDU is still parsed, and its anomalies still raised).
    func wants(_ type: EventType) -> Bool
}

extension EventSink {
    public func wants(_ type: EventType) -> Bool { true }
}

/// A sink that takes protocol events boxed, as `.application`, through `emit(_:_:)`: tests and
/// tools that keep events. Boxing allocates, so no sink on the packet path is one.
public protocol BoxingEventSink: EventSink {}

extension BoxingEventSink {
    public func emit<Event: ProtocolEvent>(_ context: EventContext, application event: Event) {
        emit(context, .application(event))
    }
}

/// The envelope facts of a flow, copied: `Flow` objects are pooled and reused, so anything
/// that keeps an event past `emit` must keep a snapshot, not the flow.
public struct FlowSnapshot: Sendable, Equatable {
    public var id: UInt64
    public var clientIP: IPAddress
    public var serverIP: IPAddress
    public var clientPort: UInt16
    public var serverPort: UInt16
    public var ipProtocol: UInt8
    public var appProto: AppProtocol
    public var communityID: String
    public var packetsToServer: UInt64
    public var packetsToClient: UInt64
    public var bytesToServer: UInt64
    public var bytesToClient: UInt64
    public var state: String
    public var midstream: Bool
    public var vlans: [UInt16]
    public var alerted: Bool
}

extension Flow {
    public func snapshot() -> FlowSnapshot {
        FlowSnapshot(id: id, clientIP: clientIP, serverIP: serverIP, clientPort: clientPort, serverPort: serverPort,
                     ipProtocol: ipProtocol, appProto: appProto, communityID: communityID,
                     packetsToServer: packetsToServer, packetsToClient: packetsToClient,
                     bytesToServer: bytesToServer, bytesToClient: bytesToClient, state: stateName, midstream: midstream,
                     vlans: Array([outerVLAN, innerVLAN].prefix(Int(vlanCount))), alerted: alerted)
    }
}

/// A sink that keeps every event in memory (tests and tools), with flow snapshots.
public final class CollectingSink: BoxingEventSink {
    public struct Record {
        public var timestamp: Timestamp
        public var pcapCount: UInt64
        public var flow: FlowSnapshot?
        public var direction: StreamDirection?
        public var body: EventBody
    }
    public private(set) var records: [Record] = []
    public init() {}
    public func emit(_ context: EventContext, _ body: EventBody) {
        records.append(Record(timestamp: context.timestamp, pcapCount: context.pcapCount, flow: context.flow?.snapshot(),
                              direction: context.direction, body: body))
    }
}
