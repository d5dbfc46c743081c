import SpanwatchWire

/// Where an app-layer session sends what it finds.
public protocol AppEventEmitter {
    /// A protocol event of the flow (unboxed: generic all the way to the sinks).
    func emitApp<Event: ProtocolEvent>(_ event: Event, flow: Flow, direction: StreamDirection?)
    /// Whether events of this type reach anyone (see `EventSink.wants`).
    func wants(_ type: EventType) -> Bool
    /// An application-layer anomaly (sampled per flow).
    func emitAnomaly(_ anomaly: AnomalyEvent, flow: Flow, direction: StreamDirection?)
}

/// A protocol's per-flow parsing state, fed with reassembled bytes (TCP) or datagrams (UDP).
public protocol AppSession: AnyObject {
    func receive(_ bytes: RawSpan, direction: StreamDirection, flow: Flow, emitter: AppEventEmitter)
    func gap(direction: StreamDirection)
    /// The flow ends: flush anything held (unanswered requests).
    func finish(flow: Flow, emitter: AppEventEmitter)
    var heapBytes: Int { get }
}

/// Payload-probe protocol detection with the port as a hint (never as proof).
///
/// Each direction of a flow is probed on its first bytes. A probe may need more bytes than the
/// first segment holds (a 5-byte first segment of a Modbus request): the detector then keeps
/// what it has (`ProbeBuffer`, bounded) and probes again on the next segment, and when a
/// protocol matches, the session is fed everything kept, so no PDU is lost to detection.
public enum AppDetector {
    /// Bytes kept per direction while a probe needs more; past it detection gives up.
    public static let maximumProbeBytes = 2048
    /// Segments per direction before detection gives up.
    public static let maximumProbeSegments = 4

    public enum Outcome: Equatable, Sendable {
        case detected(AppProtocol)
        case needMore
        case none
    }

    /// Runs every protocol's probe, in the registry's order, on the first bytes of one direction.
    public static func detect(_ bytes: RawSpan, transport: TransportLayer, serverPort: UInt16, clientPort: UInt16 = 0,
                              protocols: ProtocolRegistry) -> Outcome {
        var anyNeedsMore = false
        for definition in protocols.protocols {
            switch definition.probe(bytes, transport: transport, serverPort: serverPort, clientPort: clientPort) {
            case .match: return .detected(AppProtocol(definition))
            case .needMore: anyNeedsMore = true
            case .no: break
            }
        }
        return anyNeedsMore ? .needMore : .none
    }
}

/// Detection state of one direction: bytes kept while probes need more, and the verdict.
struct ProbeBuffer {
    var bytes: [UInt8] = []
    var segments = 0
    /// Every probe said no (or the limits were reached) for this direction.
    var gaveUp = false

    mutating func reset() {
        bytes = []
        segments = 0
        gaveUp = false
    }

    mutating func giveUp() {
        gaveUp = true
        bytes = []
    }
}

/// Caps on per-flow application state.
public struct SessionLimits: Sendable {
    /// Unanswered Modbus requests kept for pairing; past it the oldest is written unanswered.
    public var maximumPendingModbusRequests = 64
    /// A DNP3 application fragment reassembled from transport segments is dropped (with an
    /// anomaly) past this size. Outstations default to 2048-byte fragments; some send more.
    public var maximumDNP3FragmentBytes = 16384
    /// An S7 PDU reassembled from COTP DT TPDUs is dropped (with an anomaly) past this size.
    /// S7-300/400 negotiate 240-960-byte PDUs; S7comm-plus sends more.
    public var maximumS7PDUBytes = 65536
    /// An HTTP head (request or status line and header fields) larger than this is an anomaly.
    public var maximumHTTPHeadBytes = 16384
    /// MQTT messages larger than this are reported as truncated and skipped, never buffered.
    public var maximumMQTTMessageBytes = 65536
    /// PUBLISH payload bytes written in events (0: none; the length is always written).
    public var mqttPayloadBytes = 0
    public init() {}
}

/// Told about flows as they start, as their application becomes known, and as they end: how
/// the policy layer (zones, baseline) follows flows without the flow layer knowing its rules.
public protocol FlowObserver: AnyObject {
    func flowStarted(_ flow: Flow, context: EventContext)
    func applicationKnown(_ flow: Flow, context: EventContext)
    func flowEnding(_ flow: Flow, context: EventContext)
    /// Packet time moved on (called about once a second of packet time, and by live capture's
    /// timer): checks that run on time, not on packets (a device gone silent).
    func clockAdvanced(to time: Timestamp)
    /// End of input (or shutdown), after every flow ended: write anything still held.
    func captureFinished()
}

extension FlowObserver {
    public func clockAdvanced(to time: Timestamp) {}
    public func captureFinished() {}
}
