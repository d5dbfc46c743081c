import SpanwatchFlow
import SpanwatchJSON
import SpanwatchWire

/// DNP3 (IEEE 1815) over TCP and UDP (20000, and by its link header anywhere): the registration,
/// the baseline's vocabulary (link pairs, functions, object groups, points written per group),
/// and what the policy reads from a fragment.
public enum DNP3Protocol: AppLayerProtocol {
    public static let name = "dnp3"
    public static let defaultPorts: [UInt16] = [20000]
    public static let transports: Set<TransportLayer> = [.tcp, .udp]
    public static let eventTypes = [DNP3Event.eventType]
    public static let alertingAnomalyLayers: Set<String> = ["dnp3"]
    public static let roles = (client: "dnp3_master", server: "dnp3_outstation")
    /// An application fragment reassembled from transport segments is dropped (with an anomaly)
    /// past this size. Outstations default to 2048-byte fragments; some send more.
    public static let fragmentBytes = SessionLimit(key: "dnp3_fragment_bytes", defaultValue: 16384, unit: .bytes)
    public static let limits = [fragmentBytes]

    public static func probe(_ bytes: RawSpan, transport: TransportLayer, serverPort: UInt16, clientPort: UInt16) -> ProbeVerdict {
        guard transport == .tcp || transport == .udp else { return .no }
        return DNP3Link.probe(bytes)
    }

    public static func makeSession(transport: TransportLayer, context: SessionContext) -> AppSession? {
        DNP3Session(limits: context.limits, datagram: transport == .udp)
    }

    /// Functions that change points: their object ranges are writes.
    static func writesPoints(_ function: UInt8) -> Bool { (2...6).contains(function) }

    // MARK: Vocabulary

    public static let link = OperationField(
        protocolName: name, key: "link", section: "links", layout: .inline(quoted: true),
        format: { value in DNP3LinkPair(packed: value.number ?? 0).description },
        parse: { text in DNP3LinkPair(text).map { .number($0.packed) } },
        describe: { value, _, _ in "DNP3 link addresses \(DNP3LinkPair(packed: value.number ?? 0))" },
        invalidValue: { "has '\($0)', not MASTER>OUTSTATION link addresses like 1>10" })
    public static let function = OperationField(
        protocolName: name, key: "function", section: "functions",
        format: { value in DNP3Function(rawValue: UInt8(truncatingIfNeeded: value.number ?? 0)).name },
        parse: { text in DNP3Protocol.function(named: text).map { .number(UInt32($0)) } },
        describe: { value, _, _ in "DNP3 function \(DNP3Function(rawValue: UInt8(truncatingIfNeeded: value.number ?? 0)).name)" },
        isWrite: { value in DNP3Protocol.writesPoints(UInt8(truncatingIfNeeded: value.number ?? 0)) },
        invalidValue: { "has an unknown DNP3 function '\($0)'" })
    public static let group = OperationField(protocolName: name, key: "group", section: "groups", constrainsEdge: false, numericLimit: 255,
                                             parse: OperationField.byteValue,
                                             describe: { value, _, _ in "DNP3 object group \(OperationField.plain(value))" })
    public static let write = OperationField(
        protocolName: name, key: "write", section: "writes", kind: .ranges(isWrite: true), constrainsEdge: false,
        parse: { text in text.hasPrefix("g") && UInt8(text.dropFirst()) != nil ? .text(String(text)) : nil },
        describe: { table, _, range in
            "DNP3 write/operate of group \(OperationField.plain(table).dropFirst()) points \(range.map(AddressRanges.text) ?? "")"
        },
        invalidValue: { "keys are object groups like g12, not '\($0)'" },
        tableOrder: { (UInt8($0.dropFirst()) ?? 0) < (UInt8($1.dropFirst()) ?? 0) })
    public static let vocabulary = OperationVocabulary(protocolName: name, fields: [link, function, group, write])

    /// Function code from its name (`COLD_RESTART`) or number.
    static func function(named text: Substring) -> UInt8? {
        if let number = UInt8(text) { return number }
        for code in 0...255 where DNP3Function(rawValue: UInt8(code)).name == text { return UInt8(code) }
        return nil
    }
}

/// A DNP3 master's and outstation's link addresses, written `1>10`.
public struct DNP3LinkPair: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var master: UInt16
    public var outstation: UInt16
    public init(master: UInt16, outstation: UInt16) {
        self.master = master
        self.outstation = outstation
    }

    public init?(_ text: Substring) {
        let parts = text.split(separator: ">")
        guard parts.count == 2, let master = UInt16(parts[0]), let outstation = UInt16(parts[1]) else { return nil }
        self.init(master: master, outstation: outstation)
    }

    /// The pair as one number (the baseline's value: sorts as master, then outstation).
    public var packed: UInt32 { UInt32(master) << 16 | UInt32(outstation) }
    public init(packed: UInt32) { self.init(master: UInt16(packed >> 16), outstation: UInt16(truncatingIfNeeded: packed)) }

    public var description: String { "\(master)>\(outstation)" }
    public static func < (a: DNP3LinkPair, b: DNP3LinkPair) -> Bool { (a.master, a.outstation) < (b.master, b.outstation) }
}

extension ProtocolOperation {
    public static func dnp3Link(_ link: DNP3LinkPair) -> ProtocolOperation { ProtocolOperation(DNP3Protocol.link, .number(link.packed)) }
    public static func dnp3Function(_ code: UInt8) -> ProtocolOperation { ProtocolOperation(DNP3Protocol.function, .number(UInt32(code))) }
    public static func dnp3Group(_ group: UInt8) -> ProtocolOperation { ProtocolOperation(DNP3Protocol.group, .number(UInt32(group))) }
    public static func dnp3Write(_ group: UInt8, _ range: ClosedRange<UInt32>) -> ProtocolOperation {
        ProtocolOperation(DNP3Protocol.write, table: "g\(group)", range)
    }
}

extension DNP3Event: ProtocolEvent {
    public static let eventType = EventType("dnp3")

    public func writeEve(into builder: JSONLineBuilder) { DNP3EveObject.write(self, into: builder) }

    public func visitOperations(direction: StreamDirection?, _ visitor: (ProtocolOperation) -> Void) {
        guard kind == .request else { return }
        visitor(.dnp3Link(DNP3LinkPair(master: link.source, outstation: link.destination)))
        visitor(.dnp3Function(fragment.function.rawValue))
        for index in 0..<fragment.keptObjectCount {
            visitor(.dnp3Group(fragment.objects[index].group))
        }
        guard DNP3Protocol.writesPoints(fragment.function.rawValue) else { return }
        if fragment.keptPointCount > 0 {
            for index in 0..<fragment.keptPointCount {
                let point = fragment.points[index]
                visitor(.dnp3Write(point.group, point.index...point.index))
            }
        } else {
            for index in 0..<fragment.keptObjectCount {
                let header = fragment.objects[index]
                if header.hasStartStop && header.start <= header.stop { visitor(.dnp3Write(header.group, header.start...header.stop)) }
            }
        }
    }

    public var criticalOperation: CriticalOperation? {
        guard kind == .request else { return nil }
        switch fragment.function.rawValue {
        case 13, 14: return CriticalOperation(operation: "DNP3 \(fragment.function.name)", technique: ("T0816", "Device Restart/Shutdown"))
        case 18: return CriticalOperation(operation: "DNP3 STOP_APPL", technique: ("T0881", "Service Stop"))
        case 15, 16: return CriticalOperation(operation: "DNP3 \(fragment.function.name)", technique: ("T0836", "Modify Parameter"))
        case 21: return CriticalOperation(operation: "DNP3 DISABLE_UNSOLICITED", technique: ("T0878", "Alarm Suppression"))
        case 25...30: return CriticalOperation(operation: "DNP3 \(fragment.function.name)", technique: nil)
        default: return nil
        }
    }

    public var mayCarryIdentity: Bool { !fragment.deviceAttributes.isEmpty }

    /// Group 0 device attributes.
    public func visitIdentity(_ visitor: (StaticString, String) -> Void) {
        guard kind != .request else { return }
        for attribute in fragment.deviceAttributes {
            let name: StaticString
            switch attribute.variation {
            case 252: name = "vendor"
            case 250: name = "product"
            case 242: name = "firmware"
            case 243: name = "hardware_version"
            case 248: name = "serial_number"
            default: continue
            }
            visitor(name, IdentityText.printable(attribute.value))
        }
    }

    public var pollingSignature: UInt64? {
        guard kind == .request else { return nil }
        let group = fragment.keptObjectCount > 0 ? UInt64(fragment.objects[0].group) : 0
        return 2 << 56 | UInt64(fragment.function.rawValue) << 32 | group << 16 | UInt64(link.destination)
    }

    public var answersPoll: Bool { kind != .request }
}

extension AppProtocol {
    /// A flow speaking dnp3 (`app_proto: dnp3`).
    public static let dnp3 = AppProtocol(DNP3Protocol.self)
}
