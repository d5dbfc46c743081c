import SpanwatchFlow
import SpanwatchJSON
import SpanwatchWire

/// S7comm over ISO-on-TCP (TPKT and COTP, TCP 102): the registration, the baseline's vocabulary
/// (functions, bytes written per area, PI services), and what the policy reads from a PDU.
public enum S7commProtocol: AppLayerProtocol {
    public static let name = "s7comm"
    public static let defaultPorts: [UInt16] = [102]
    public static let transports: Set<TransportLayer> = [.tcp]
    public static let eventTypes = [S7Event.eventType, COTPEvent.eventType]
    public static let alertingAnomalyLayers: Set<String> = ["s7comm", "cotp", "tpkt"]
    public static let roles = (client: "s7_client", server: "s7_server")
    /// An S7 PDU reassembled from COTP DT TPDUs is dropped (with an anomaly) past this size.
    /// S7-300/400 negotiate 240-960-byte PDUs; S7comm-plus sends more.
    public static let pduBytes = SessionLimit(key: "s7comm_pdu_bytes", defaultValue: 65536, unit: .bytes)
    public static let limits = [pduBytes]

    public static func probe(_ bytes: RawSpan, transport: TransportLayer, serverPort: UInt16, clientPort: UInt16) -> ProbeVerdict {
        guard transport == .tcp else { return .no }
        switch TPKT.probe(bytes) {
        case .match:
            // ISO-on-TCP also carries RDP (3389) and others: off port 102, S7 must show itself.
            return serverPort == 102 || clientPort == 102 || TPKT.carriesS7(bytes) ? .match : .no
        case .needMore: return .needMore
        case .no: return .no
        }
    }

    public static func makeSession(transport: TransportLayer, context: SessionContext) -> AppSession? {
        transport == .tcp ? S7Session(limits: context.limits) : nil
    }

    // MARK: Vocabulary

    public static let function = OperationField(protocolName: name, key: "function", section: "functions", layout: .inline(quoted: true),
                                                describe: { value, _, _ in "S7 function \(OperationField.plain(value))" },
                                                isWrite: { value in value == .text("WRITE_VAR") })
    public static let write = OperationField(protocolName: name, key: "write", section: "writes", kind: .ranges(isWrite: true), constrainsEdge: false,
                                             describe: { area, _, range in "S7 write to \(OperationField.plain(area)) bytes \(range.map(AddressRanges.text) ?? "")" })
    public static let piService = OperationField(protocolName: name, key: "pi_service", section: "pi_services", constrainsEdge: false,
                                                 layout: .inline(quoted: true),
                                                 describe: { value, _, _ in "S7 PI service \(OperationField.plain(value))" })
    public static let vocabulary = OperationVocabulary(protocolName: name, fields: [function, write, piService])

    /// Bytes per element of an S7 item's transport size (BIT counts as its byte).
    static func unitBytes(transportSize: UInt8) -> UInt32 {
        switch transportSize {
        case 4, 5: 2  // WORD, INT
        case 6, 7, 8: 4  // DWORD, DINT, REAL
        default: 1  // BIT, BYTE, CHAR
        }
    }

    static func blockName(_ pdu: S7PDU) -> String {
        guard let block = pdu.block else { return "" }
        return " (\(block.type) \(block.number))"
    }
}

extension ProtocolOperation {
    public static func s7Function(_ name: String) -> ProtocolOperation { ProtocolOperation(S7commProtocol.function, .text(name)) }
    public static func s7Write(_ area: String, _ range: ClosedRange<UInt32>) -> ProtocolOperation {
        ProtocolOperation(S7commProtocol.write, table: area, range)
    }
    public static func s7PIService(_ name: String) -> ProtocolOperation { ProtocolOperation(S7commProtocol.piService, .text(name)) }
}

extension COTPEvent: ProtocolEvent {
    public static let eventType = EventType("cotp")
    public func writeEve(into builder: JSONLineBuilder) { S7EveObject.write(self, into: builder) }
}

extension S7Event: ProtocolEvent {
    public static let eventType = EventType("s7comm")

    public func writeEve(into builder: JSONLineBuilder) { S7EveObject.write(self, into: builder) }

    public func visitOperations(direction: StreamDirection?, _ visitor: (ProtocolOperation) -> Void) {
        guard case .s7comm(let pdu) = payload else { return }
        if pdu.rosctr == 1 && pdu.hasFunction {
            visitor(.s7Function(S7Comm.functionName(pdu.function)))
            if pdu.function == 0x05 {
                for index in 0..<pdu.keptItemCount {
                    let item = pdu.items[index]
                    guard item.hasAddress else { continue }
                    let area = item.area == 0x84 ? "DB\(item.dbNumber)" : S7Comm.areaName(item.area)
                    let length = max(UInt32(item.length) * S7commProtocol.unitBytes(transportSize: item.transportSize), 1)
                    visitor(.s7Write(area, item.byteAddress...(item.byteAddress &+ length &- 1)))
                }
            }
            if pdu.function == 0x28 && !pdu.piService.isEmpty {
                visitor(.s7PIService(String(decoding: pdu.piService.trimmedArray, as: UTF8.self)))
            }
        } else if pdu.rosctr == 7 && pdu.hasUserdata && pdu.userdataType == 4 {  // a userdata request
            visitor(.s7Function(S7Comm.subfunctionName(group: pdu.functionGroup, subfunction: pdu.subfunction)))
        }
    }

    /// A Write Var job's first item data, in hex (`0x0063`; the first 32 bytes, then the length).
    public var writtenValues: String? {
        guard case .s7comm(let pdu) = payload, pdu.rosctr == 1, pdu.hasFunction, pdu.function == 0x05, pdu.writtenData.count > 0 else { return nil }
        let digits: [Character] = Array("0123456789abcdef")
        var text = "0x"
        for index in 0..<pdu.writtenData.count {
            let byte = pdu.writtenData.bytes[index]
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return pdu.writtenDataLength > pdu.writtenData.count ? text + "... (\(pdu.writtenDataLength) bytes)" : text
    }

    public var criticalOperation: CriticalOperation? {
        guard case .s7comm(let pdu) = payload, pdu.rosctr == 1, pdu.hasFunction else { return nil }
        switch pdu.function {
        case 0x29: return CriticalOperation(operation: "S7 PLC STOP", technique: ("T0858", "Change Operating Mode"))
        case 0x1A: return CriticalOperation(operation: "S7 program download" + S7commProtocol.blockName(pdu), technique: ("T0843", "Program Download"))
        case 0x1D: return CriticalOperation(operation: "S7 program upload" + S7commProtocol.blockName(pdu), technique: ("T0845", "Program Upload"))
        case 0x28:
            if pdu.piService.hasPrefix("_DELE") { return CriticalOperation(operation: "S7 delete block", technique: ("T0809", "Data Destruction")) }
            if pdu.piService.hasPrefix("P_PROGRAM") { return CriticalOperation(operation: "S7 PLC START", technique: ("T0858", "Change Operating Mode")) }
            if pdu.piService.hasPrefix("_INSE") { return CriticalOperation(operation: "S7 activate block", technique: ("T0843", "Program Download")) }
            return nil
        default: return nil
        }
    }

    public var mayCarryIdentity: Bool { if case .s7comm(let pdu) = payload { pdu.hasIdentity } else { false } }

    /// SZL 0x0011 / 0x001C answers: order number, firmware, module type, serial number.
    public func visitIdentity(_ visitor: (StaticString, String) -> Void) {
        guard case .s7comm(let pdu) = payload, pdu.hasIdentity else { return }
        let identity = pdu.identity
        if !identity.orderNumber.isEmpty { visitor("order_number", IdentityText.printable(identity.orderNumber.trimmedArray)) }
        if identity.hasFirmware { visitor("firmware", "V\(identity.firmware.0).\(identity.firmware.1).\(identity.firmware.2)") }
        if !identity.moduleTypeName.isEmpty { visitor("module_type", IdentityText.printable(identity.moduleTypeName.trimmedArray)) }
        if !identity.serialNumber.isEmpty { visitor("serial_number", IdentityText.printable(identity.serialNumber.trimmedArray)) }
    }

    public var pollingSignature: UInt64? {
        guard case .s7comm(let pdu) = payload, pdu.rosctr == 1, pdu.hasFunction else { return nil }
        let item = pdu.keptItemCount > 0 ? pdu.items[0] : S7Item()
        return 3 << 56 | UInt64(pdu.function) << 48 | UInt64(item.area) << 40 | UInt64(item.dbNumber) << 24 | UInt64(item.byteAddress & 0xFFFFFF)
    }

    public var answersPoll: Bool {
        if case .s7comm(let pdu) = payload { pdu.rosctr == 2 || pdu.rosctr == 3 } else { false }
    }
}

extension AppProtocol {
    /// A flow speaking s7comm (`app_proto: s7comm`).
    public static let s7comm = AppProtocol(S7commProtocol.self)
}
