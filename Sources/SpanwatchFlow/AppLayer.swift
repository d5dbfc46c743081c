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

/// A cap on one protocol's per-flow state, declared by the protocol (its descriptor's `limits`)
/// and set in the configuration as `limits.<key>`.
public final class SessionLimit: Sendable, Hashable {
    public enum Unit: Sendable {
        /// A positive count (`64`).
        case count
        /// A size in bytes (`16KiB`); 0 where the protocol allows it.
        case bytes
    }

    /// The configuration key under `limits:` (`modbus_pending_requests`).
    public let key: String
    public let defaultValue: Int
    public let unit: Unit

    public init(key: String, defaultValue: Int, unit: Unit) {
        self.key = key
        self.defaultValue = defaultValue
        self.unit = unit
    }

    public static func == (a: SessionLimit, b: SessionLimit) -> Bool { a === b }
    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }
}

/// The configured values of the protocols' limits (a limit not set keeps its default). Sessions
/// read theirs once, when they are made.
public struct SessionLimits: Sendable {
    var values: [SessionLimit: Int] = [:]
    public init() {}

    public subscript(limit: SessionLimit) -> Int {
        get { values[limit] ?? limit.defaultValue }
        set { values[limit] = newValue }
    }
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
