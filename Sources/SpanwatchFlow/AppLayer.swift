import SpanwatchWire

/// Application protocols spanwatch parses (EVE `app_proto`).
public enum AppProtocol: UInt8, Sendable {
    case unknown, modbus
    /// Detection gave up: the flow is not a protocol spanwatch parses.
    case failed

    public var eveName: String? {
        switch self {
        case .unknown: nil
        case .modbus: "modbus"
        case .failed: "failed"
        }
    }
}

/// Where an app-layer session sends what it finds.
public protocol AppEventEmitter {
    func emitApp(_ body: EventBody, flow: Flow, direction: StreamDirection?)
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
public enum AppDetector {
    /// Bytes probed per direction before detection gives up.
    public static let maximumProbeBytes = 2048
    public static let maximumProbeSegments = 4

    public struct Limits: Sendable {
        public var modbusEnabled = true
        public init() {}
    }

    /// Tries each parser's probe on the first payload of a flow.
    public static func detect(_ bytes: RawSpan, transport: TransportLayer, serverPort: UInt16, limits: Limits) -> AppProtocol {
        if transport == .tcp && limits.modbusEnabled && ModbusTCP.probe(bytes) {
            // Off port 502, demand a plausible function code too: Modbus's header is weak evidence.
            if serverPort == 502 { return .modbus }
            let function = bytes.u8(ModbusTCP.functionOffset) & 0x7F
            if function != 0 && (ModbusFunction(rawValue: function).category == "PUBLIC_ASSIGNED" || function == 90) {
                return .modbus
            }
        }
        return .unknown
    }

    public static func makeSession(_ proto: AppProtocol, limits: SessionLimits) -> AppSession? {
        switch proto {
        case .modbus: ModbusSession(limits: limits)
        default: nil
        }
    }
}

/// Caps on per-flow application state.
public struct SessionLimits: Sendable {
    /// Unanswered Modbus requests kept for pairing; past it the oldest is written unanswered.
    public var maximumPendingModbusRequests = 64
    public init() {}
}
