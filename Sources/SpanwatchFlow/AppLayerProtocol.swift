import SpanwatchJSON
import SpanwatchWire
import Synchronization

/// What the shared machinery knows of an application protocol: one descriptor per protocol
/// (Suricata's per-protocol registration value, Zeek's analyzer tag). Capture, flows, detection,
/// the EVE writer, the baseline and the alert rules reach a protocol only through this type and
/// through its events (`ProtocolEvent`); everything else of the protocol lives in its folder under
/// `Sources/SpanwatchProtocols/`, and the protocol is listed once, in `ProtocolRegistry.standard`.
public protocol AppLayerProtocol: SendableMetatype {
    /// The name everywhere it is written: EVE `app_proto`, conduit services, baseline edges and
    /// sections, metrics labels (`modbus`, `dnp3`, `s7comm`, ...).
    static var name: String { get }
    /// IANA-registered ports: a hint for which end of a flow is the server, and the benefit of
    /// the doubt for a conduit's flow that ended before it could show its protocol; never proof.
    static var defaultPorts: [UInt16] { get }
    /// Transports it runs over (a conduit's benefit of the doubt applies to these).
    static var transports: Set<TransportLayer> { get }
    /// The EVE event types its sessions write (`s7comm` and `cotp`).
    static var eventTypes: [EventType] { get }
    /// Anomaly layers whose malformed messages are `protocol_anomaly` alerts (the OT protocols);
    /// empty for IT protocols, whose anomalies stay anomaly events.
    static var alertingAnomalyLayers: Set<String> { get }
    /// Roles of a flow's client and server in the asset inventory (`modbus_client`, `modbus_server`).
    static var roles: (client: String, server: String) { get }
    /// Caps on its per-flow state, configurable as `limits.<key>`.
    static var limits: [SessionLimit] { get }
    /// The operations this protocol contributes to the baseline: their fields, how the YAML file
    /// writes and reads them, and which ones constrain an edge.
    static var vocabulary: OperationVocabulary { get }

    /// Looks at the first bytes of one direction of a flow. The registry's order is the order of
    /// probing: weak probes (DNS) come last.
    static func probe(_ bytes: RawSpan, transport: TransportLayer, serverPort: UInt16, clientPort: UInt16) -> ProbeVerdict
    /// A parsing session for a flow the probe matched (nil: not over this transport).
    static func makeSession(transport: TransportLayer, context: SessionContext) -> AppSession?
    /// Which end sent a flow's first datagram when its ports cannot tell (BACnet devices talk
    /// 47808 to 47808, so a unicast I-Am answering a broadcast Who-Is may open the flow): true
    /// when these bytes are what a server sends (an answer, a device's announcement), false when
    /// they are a client's request, nil when the protocol cannot say. Asked only for a unicast
    /// datagram the protocol's probe matched.
    static func datagramIsFromServer(_ bytes: RawSpan) -> Bool?
}

extension AppLayerProtocol {
    public static var limits: [SessionLimit] { [] }
    public static func datagramIsFromServer(_ bytes: RawSpan) -> Bool? { nil }
    public static var alertingAnomalyLayers: Set<String> { [] }
}

/// What a session factory may use: the configured limits and the address → name cache that
/// DNS answers fill.
public struct SessionContext {
    public var limits: SessionLimits
    public var dnsCache: DNSCache?
    public init(limits: SessionLimits, dnsCache: DNSCache?) {
        self.limits = limits
        self.dnsCache = dnsCache
    }
}

/// The application protocol of a flow (EVE `app_proto`): not yet known, given up on, or one of
/// the registry's protocols.
public struct AppProtocol: Sendable, Equatable, CustomStringConvertible {
    public let definition: (any AppLayerProtocol.Type)?
    let gaveUp: Bool

    /// Detection has not decided yet.
    public static let unknown = AppProtocol(definition: nil, gaveUp: false)
    /// Detection gave up: the flow is not a protocol spanwatch parses.
    public static let failed = AppProtocol(definition: nil, gaveUp: true)

    init(definition: (any AppLayerProtocol.Type)?, gaveUp: Bool) {
        self.definition = definition
        self.gaveUp = gaveUp
    }

    public init(_ definition: any AppLayerProtocol.Type) {
        self.init(definition: definition, gaveUp: false)
    }

    /// One of the registry's protocols (not unknown, not failed).
    public var isDetected: Bool { definition != nil }

    public var eveName: String? { definition?.name ?? (gaveUp ? "failed" : nil) }

    /// The protocol's name, or nil when none was detected (edges and conduits).
    public var name: String? { definition?.name }

    public var description: String { eveName ?? "unknown" }

    /// A number that differs between protocols (the flow's cached envelope is keyed by it).
    public var tag: UInt64 {
        guard let definition else { return gaveUp ? 2 : 1 }
        return UInt64(UInt(bitPattern: ObjectIdentifier(definition))) | 4  // a metatype's address: never 1 or 2
    }

    public static func == (a: AppProtocol, b: AppProtocol) -> Bool {
        switch (a.definition, b.definition) {
        case (nil, nil): a.gaveUp == b.gaveUp
        case (let x?, let y?): ObjectIdentifier(x) == ObjectIdentifier(y)
        default: false
        }
    }
}

/// The protocols spanwatch parses, in probing order. The one list is `ProtocolRegistry.standard`
/// (in `SpanwatchProtocols`); config names, `--types`, event types, baseline sections and
/// documentation tables are derived from it.
public struct ProtocolRegistry: Sendable {
    public let protocols: [any AppLayerProtocol.Type]

    public init(_ protocols: [any AppLayerProtocol.Type]) {
        self.protocols = protocols
    }

    /// The protocol with this name (case-insensitive).
    public func named(_ name: String) -> AppProtocol? {
        let lowered = name.lowercased()
        for definition in protocols where definition.name == lowered {
            return AppProtocol(definition)
        }
        return nil
    }

    public var names: [String] { protocols.map { $0.name } }

    /// Every EVE event type: the protocols' and the machinery's own.
    public var eventTypes: [EventType] { protocols.flatMap { $0.eventTypes } + EventType.machinery }

    /// Ports any protocol registers (which end of a flow is the server).
    public var servicePorts: Set<UInt16> { Set(protocols.flatMap { $0.defaultPorts }) }

    /// Whether the first datagram of a flow whose ports cannot tell its ends apart was sent by
    /// the server: asks the first protocol whose probe matches it (nil: none can say).
    public func datagramIsFromServer(_ bytes: RawSpan, serverPort: UInt16, clientPort: UInt16) -> Bool? {
        for definition in protocols where definition.probe(bytes, transport: .udp, serverPort: serverPort, clientPort: clientPort) == .match {
            return definition.datagramIsFromServer(bytes)
        }
        return nil
    }

    /// Every protocol's configurable limits.
    public var limits: [SessionLimit] { protocols.flatMap { $0.limits } }

    /// Anomaly layers that raise `protocol_anomaly`.
    public var alertingAnomalyLayers: Set<String> { protocols.reduce(into: []) { $0.formUnion($1.alertingAnomalyLayers) } }
}

/// An EVE event type (`modbus`, `flow`, `alert`, ...), with a small number for sets of types.
public struct EventType: Sendable, Hashable, CustomStringConvertible {
    public let name: StaticString
    /// Unique in this process (assigned as the type is first used): a bit in `EventTypeSet`.
    public let index: Int

    /// Defines an event type (`static let` it: one definition per name).
    public init(_ name: StaticString) {
        self.name = name
        index = EventTypeNumbering.next(name.description)
    }

    public var description: String { name.description }

    public static func == (a: EventType, b: EventType) -> Bool { a.index == b.index }
    public func hash(into hasher: inout Hasher) { hasher.combine(index) }

    public static let flow = EventType("flow")
    public static let anomaly = EventType("anomaly")
    public static let alert = EventType("alert")
    public static let asset = EventType("asset")
    public static let stats = EventType("stats")
    /// The machinery's own event types, in the order the documentation lists them.
    public static let machinery: [EventType] = [.flow, .anomaly, .alert, .asset, .stats]
}

/// Hands out event-type numbers, once per name, whatever the order types are first used in.
enum EventTypeNumbering {
    private static let names = LockedNames()
    static func next(_ name: String) -> Int { names.index(of: name) }
}

final class LockedNames: Sendable {
    private let state = Mutex<[String: Int]>([:])
    func index(of name: String) -> Int {
        state.withLock { table in
            if let index = table[name] { return index }
            let index = table.count
            precondition(index < 64, "more than 64 event types")
            table[name] = index
            return index
        }
    }
}

/// A set of event types (which types one output or sink takes): a bit per `EventType.index`.
public struct EventTypeSet: Sendable, Equatable {
    var bits: UInt64

    public static let all = EventTypeSet(bits: .max)
    public static let none = EventTypeSet(bits: 0)

    init(bits: UInt64) { self.bits = bits }

    public init(_ types: [EventType]) {
        bits = 0
        for type in types { bits |= 1 << UInt64(type.index) }
    }

    @inline(__always)
    public func contains(_ type: EventType) -> Bool { bits & (1 << UInt64(type.index)) != 0 }

    public func union(_ other: EventTypeSet) -> EventTypeSet { EventTypeSet(bits: bits | other.bits) }
}

/// A protocol's event (one Modbus transaction, one DNP3 fragment, one MQTT message, ...): how it
/// writes its EVE object, and what the policy layer reads from it. The defaults say "nothing":
/// a protocol implements what it has.
public protocol ProtocolEvent: Sendable {
    static var eventType: EventType { get }
    /// The members the event adds to its EVE record after the envelope (`tx_id`, then the
    /// protocol's object).
    func writeEve(into builder: JSONLineBuilder)

    /// The operations a client chose (learned into the baseline, checked against it).
    func visitOperations(direction: StreamDirection?, _ visitor: (ProtocolOperation) -> Void)
    /// A control-plane command that changes what a controller does (`critical_operation`).
    var criticalOperation: CriticalOperation? { get }
    /// Whether `visitIdentity` can say anything (a cheap test first).
    var mayCarryIdentity: Bool { get }
    /// Identity fields of the responding device (vendor, product, firmware, ...).
    func visitIdentity(_ visitor: (StaticString, String) -> Void)
    /// The request a polling master repeats: equal values are "the same request again".
    var pollingSignature: UInt64? { get }
    /// A response from the polled device: the edge is alive.
    var answersPoll: Bool { get }
    /// Credentials sent in clear (`cleartext_credentials`): how, and the user (never the password).
    var cleartextCredentials: (method: String, user: String)? { get }
    /// Names a client asked to resolve (`external_dns`, the baseline's names).
    func visitQueriedNames(_ visitor: (String) -> Void)
    /// The values a write carries, as short text for an alert (`[0, 0]`, `21.5`, `'on'`); nil
    /// when the event writes nothing or the decoder does not keep them. Built only for alerts.
    var writtenValues: String? { get }
}

extension ProtocolEvent {
    public func visitOperations(direction: StreamDirection?, _ visitor: (ProtocolOperation) -> Void) {}
    public var criticalOperation: CriticalOperation? { nil }
    public var mayCarryIdentity: Bool { false }
    public func visitIdentity(_ visitor: (StaticString, String) -> Void) {}
    public var pollingSignature: UInt64? { nil }
    public var answersPoll: Bool { false }
    public var cleartextCredentials: (method: String, user: String)? { nil }
    public func visitQueriedNames(_ visitor: (String) -> Void) {}
    public var writtenValues: String? { nil }
    public var eventType: EventType { Self.eventType }
}

/// A control-plane command recognised in a protocol event, with the ATT&CK for ICS technique it
/// is an instance of. Alerts whatever the baseline says, unless `allowed_operations` allows its
/// category on that edge.
public struct CriticalOperation: Sendable {
    public var operation: String
    public var technique: (id: String, name: String)?
    /// The normalized operation (`program_download`, `mode_change`, `restart`, `control_command`,
    /// ...), which `allowed_operations` in the config names.
    public var category: String

    /// `category` defaults to the one the ATT&CK technique implies.
    public init(operation: String, technique: (id: String, name: String)?, category: String? = nil) {
        self.operation = operation
        self.technique = technique
        self.category = category ?? CriticalOperation.category(of: technique?.id)
    }

    static func category(of technique: String?) -> String {
        switch technique {
        case "T0843": "program_download"
        case "T0845": "program_upload"
        case "T0858": "mode_change"
        case "T0816": "restart"
        case "T0809": "delete_block"
        case "T0881": "stop_application"
        case "T0878": "disable_unsolicited"
        case "T0836": "parameter_change"
        case "T0855": "control_command"
        default: "file_operation"
        }
    }

    /// Every category `category` can take (for validating `allowed_operations`).
    public static let categories: Set<String> = ["program_download", "program_upload", "mode_change", "restart", "delete_block",
                                                 "stop_application", "disable_unsolicited", "parameter_change", "file_operation",
                                                 "control_command"]
}
