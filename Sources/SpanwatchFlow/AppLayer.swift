import SpanwatchWire

/// Application protocols spanwatch parses (EVE `app_proto`).
public enum AppProtocol: UInt8, Sendable {
    case unknown, modbus, dnp3, s7comm, dns, http, mqtt
    /// Detection gave up: the flow is not a protocol spanwatch parses.
    case failed

    public var eveName: String? {
        switch self {
        case .unknown: nil
        case .modbus: "modbus"
        case .dnp3: "dnp3"
        case .s7comm: "s7comm"
        case .dns: "dns"
        case .http: "http"
        case .mqtt: "mqtt"
        case .failed: "failed"
        }
    }
}

/// Where an app-layer session sends what it finds.
public protocol AppEventEmitter {
    func emitApp(_ body: EventBody, flow: Flow, direction: StreamDirection?)
    /// Whether events of this kind reach anyone (see `EventSink.wants`).
    func wants(_ kind: EventKind) -> Bool
    /// An application-layer anomaly (cheaper than `emitApp(.anomaly(...))`: no event enum is
    /// built for anomalies that sampling only counts).
    func emitAnomaly(_ anomaly: AnomalyEvent, flow: Flow, direction: StreamDirection?)
}

extension AppEventEmitter {
    public func wants(_ kind: EventKind) -> Bool { true }
    public func emitAnomaly(_ anomaly: AnomalyEvent, flow: Flow, direction: StreamDirection?) {
        emitApp(.anomaly(anomaly), flow: flow, direction: direction)
    }
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

    public struct Limits: Sendable {
        public var modbusEnabled = true
        public var dnp3Enabled = true
        public var s7commEnabled = true
        public var dnsEnabled = true
        public var httpEnabled = true
        public var mqttEnabled = true
        public init() {}
    }

    public enum Outcome: Equatable, Sendable {
        case detected(AppProtocol)
        case needMore
        case none
    }

    /// Runs every enabled probe on the first bytes of one direction.
    /// DNS, mDNS and LLMNR ports: there the DNS probe decides; elsewhere only a strict one does.
    static func isDNSPort(_ port: UInt16) -> Bool { port == 53 || port == 5353 || port == 5355 }

    public static func detect(_ bytes: RawSpan, transport: TransportLayer, serverPort: UInt16, clientPort: UInt16 = 0,
                              limits: Limits) -> Outcome {
        var anyNeedsMore = false
        if transport == .tcp && limits.modbusEnabled {
            switch ModbusTCP.probe(bytes) {
            case .match:
                // Off port 502, demand a plausible function code too: Modbus's header is weak evidence.
                if serverPort == 502 { return .detected(.modbus) }
                let function = bytes.u8(ModbusTCP.functionOffset) & 0x7F
                if function != 0 && (ModbusFunction(rawValue: function).category == "PUBLIC_ASSIGNED" || function == 90) {
                    return .detected(.modbus)
                }
            case .needMore: anyNeedsMore = true
            case .no: break
            }
        }
        if limits.mqttEnabled && transport == .tcp {
            switch MQTT.probe(bytes) {
            case .match: return .detected(.mqtt)
            case .needMore: anyNeedsMore = true
            case .no:
                // Picked up mid-session on the MQTT ports: any well-formed fixed header will do.
                if (serverPort == 1883 || clientPort == 1883), bytes.byteCount >= 2, bytes.u8(0) >> 4 != 0,
                   case .header = MQTT.fixedHeader(bytes) {
                    return .detected(.mqtt)
                }
            }
        }
        if limits.httpEnabled && transport == .tcp {
            switch HTTP.probe(bytes) {
            case .match: return .detected(.http)
            case .needMore: anyNeedsMore = true
            case .no: break
            }
        }
        if limits.s7commEnabled && transport == .tcp {
            switch TPKT.probe(bytes) {
            case .match:
                // ISO-on-TCP also carries RDP (3389) and others: off port 102, S7 must show itself.
                if serverPort == 102 || clientPort == 102 || TPKT.carriesS7(bytes) { return .detected(.s7comm) }
            case .needMore: anyNeedsMore = true
            case .no: break
            }
        }
        if limits.dnp3Enabled && (transport == .tcp || transport == .udp) {
            switch DNP3Link.probe(bytes) {
            case .match: return .detected(.dnp3)
            case .needMore: anyNeedsMore = true
            case .no: break
            }
        }
        // DNS last: its header is weak evidence; the protocols above have stronger probes.
        if limits.dnsEnabled && (transport == .udp || transport == .tcp) {
            let onPort = isDNSPort(serverPort) || isDNSPort(clientPort)
            // NetBIOS name service (137) borrows the DNS format; it is not DNS.
            let netbios = serverPort == 137 || clientPort == 137
            if onPort && !netbios {
                // On its own ports DNS is decided by the port: junk there is a malformed message.
                return .detected(.dns)
            }
            let verdict = transport == .udp ? DNS.probe(bytes) : DNS.probeOverTCP(bytes)
            switch verdict {
            case .match:
                if !netbios && strictDNS(bytes, overTCP: transport == .tcp) { return .detected(.dns) }
            case .needMore: anyNeedsMore = anyNeedsMore || transport == .tcp
            case .no: break
            }
        }
        return anyNeedsMore ? .needMore : .none
    }

    /// Off the DNS ports: a query with one question and no records, or a response that answers one.
    static func strictDNS(_ bytes: RawSpan, overTCP: Bool) -> Bool {
        let message = overTCP ? bytes.extracting(2..<bytes.byteCount) : bytes
        guard message.byteCount >= DNS.headerLength, message.u16be(4) == 1 else { return false }
        let flags = message.u16be(2)
        guard flags & 0x7800 == 0 else { return false }  // opcode QUERY
        if flags & 0x8000 == 0 { return message.u16be(6) == 0 && message.u16be(8) == 0 }
        return true
    }

    public static func makeSession(_ proto: AppProtocol, transport: TransportLayer, limits: SessionLimits,
                                   dnsCache: DNSCache? = nil) -> AppSession? {
        switch proto {
        case .modbus: transport == .tcp ? ModbusSession(limits: limits) : nil
        case .dnp3: DNP3Session(limits: limits, datagram: transport == .udp)
        case .s7comm: transport == .tcp ? S7Session(limits: limits) : nil
        case .dns: DNSSession(datagram: transport == .udp, cache: dnsCache)
        case .http: transport == .tcp ? HTTPSession(limits: limits) : nil
        case .mqtt: transport == .tcp ? MQTTSession(limits: limits) : nil
        default: nil
        }
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
