import SpanwatchFlow
import SpanwatchJSON
import SpanwatchWire

/// Modbus/TCP (TCP 502, and by its MBAP header with a plausible function code elsewhere): the
/// registration, the baseline's vocabulary (units, functions, read and write ranges per table),
/// and what the policy reads from a transaction.
public enum ModbusProtocol: AppLayerProtocol {
    public static let name = "modbus"
    public static let defaultPorts: [UInt16] = [502]
    public static let transports: Set<TransportLayer> = [.tcp]
    public static let eventTypes = [ModbusTransaction.eventType]
    public static let alertingAnomalyLayers: Set<String> = ["modbus"]
    public static let roles = (client: "modbus_client", server: "modbus_server")
    /// Unanswered requests kept for pairing; past it the oldest is written unanswered.
    public static let pendingRequests = SessionLimit(key: "modbus_pending_requests", defaultValue: 64, unit: .count)
    public static let limits = [pendingRequests]

    public static func probe(_ bytes: RawSpan, transport: TransportLayer, serverPort: UInt16, clientPort: UInt16) -> ProbeVerdict {
        guard transport == .tcp else { return .no }
        switch ModbusTCP.probe(bytes) {
        case .match:
            // Off port 502, demand a plausible function code too: Modbus's header is weak evidence.
            if serverPort == 502 { return .match }
            let function = bytes.u8(ModbusTCP.functionOffset) & 0x7F
            if function != 0 && (ModbusFunction(rawValue: function).category == "PUBLIC_ASSIGNED" || function == 90) { return .match }
            return .no
        case .needMore: return .needMore
        case .no: return .no
        }
    }

    public static func makeSession(transport: TransportLayer, context: SessionContext) -> AppSession? {
        transport == .tcp ? ModbusSession(limits: context.limits) : nil
    }

    // MARK: Vocabulary

    public static let unit = OperationField(protocolName: name, key: "unit", section: "units", numericLimit: 255, parse: OperationField.byteValue,
                                            describe: { value, _, _ in "Modbus unit id \(OperationField.plain(value))" })
    public static let function = OperationField(
        protocolName: name, key: "function", section: "functions", numericLimit: 255, parse: OperationField.byteValue,
        describe: { value, _, _ in
            let code = UInt8(truncatingIfNeeded: value.number ?? 0)
            return "Modbus function \(code) (\(ModbusFunction(rawValue: code).name))"
        },
        comment: { values in values.map { ModbusFunction(rawValue: UInt8(truncatingIfNeeded: $0.number ?? 0)).name }.joined(separator: ", ") },
        isWrite: { value in ModbusFunction(rawValue: UInt8(truncatingIfNeeded: value.number ?? 0)).isWrite })
    public static let read = OperationField(protocolName: name, key: "read", section: "reads", kind: .ranges(isWrite: false), constrainsEdge: false,
                                            tables: ModbusTable.names, parse: ModbusTable.parseName,
                                            describe: { table, _, range in "Modbus read of \(OperationField.plain(table)) \(range.map(AddressRanges.text) ?? "")" },
                                            invalidValue: ModbusTable.unknownTable)
    public static let write = OperationField(protocolName: name, key: "write", section: "writes", kind: .ranges(isWrite: true), constrainsEdge: false,
                                             tables: ModbusTable.names, parse: ModbusTable.parseName,
                                             describe: { table, _, range in "Modbus write to \(OperationField.plain(table)) \(range.map(AddressRanges.text) ?? "")" },
                                             invalidValue: ModbusTable.unknownTable)
    public static let vocabulary = OperationVocabulary(protocolName: name, fields: [unit, function, read, write])
}

/// Modbus register tables, by the function codes that address them.
public enum ModbusTable: String, Sendable, CaseIterable, Comparable {
    case coils, discreteInputs = "discrete_inputs", holdingRegisters = "holding_registers", inputRegisters = "input_registers"

    public static func < (a: ModbusTable, b: ModbusTable) -> Bool { a.rawValue < b.rawValue }

    /// The table a read or write function addresses.
    public static func of(function: UInt8) -> ModbusTable? {
        switch function {
        case 1, 5, 15: .coils
        case 2: .discreteInputs
        case 3, 6, 16, 22, 23: .holdingRegisters
        case 4: .inputRegisters
        default: nil
        }
    }

    static let names = allCases.map(\.rawValue).sorted()
    static let parseName: @Sendable (Substring) -> OperationValue? = { text in
        ModbusTable(rawValue: String(text)).map { .text($0.rawValue) }
    }
    static let unknownTable: @Sendable (String) -> String = { "has an unknown table '\($0)' (\(names.joined(separator: ", ")))" }
}

extension ProtocolOperation {
    /// `modbus.unit 1`
    public static func modbusUnit(_ unit: UInt8) -> ProtocolOperation { ProtocolOperation(ModbusProtocol.unit, .number(UInt32(unit))) }
    /// `modbus.function 16`
    public static func modbusFunction(_ code: UInt8) -> ProtocolOperation { ProtocolOperation(ModbusProtocol.function, .number(UInt32(code))) }
    /// `modbus.read holding_registers 100-109`
    public static func modbusRead(_ table: ModbusTable, _ range: ClosedRange<UInt32>) -> ProtocolOperation {
        ProtocolOperation(ModbusProtocol.read, table: table.rawValue, range)
    }
    /// `modbus.write holding_registers 100-109`
    public static func modbusWrite(_ table: ModbusTable, _ range: ClosedRange<UInt32>) -> ProtocolOperation {
        ProtocolOperation(ModbusProtocol.write, table: table.rawValue, range)
    }
}

extension ModbusTransaction: ProtocolEvent {
    public static let eventType = EventType("modbus")

    public func writeEve(into builder: JSONLineBuilder) {
        builder.field("tx_id", transactionIndex)
        ModbusEveObject.write(self, into: builder)
    }

    public func visitOperations(direction: StreamDirection?, _ visitor: (ProtocolOperation) -> Void) {
        guard let request else { return }
        visitor(.modbusUnit(request.unitId))
        visitor(.modbusFunction(request.functionRaw))
        guard let table = ModbusTable.of(function: request.functionRaw) else { return }
        let function = request.functionRaw
        if request.hasWriteRange {  // FC 23: a read and a write
            visitor(.modbusWrite(table, Self.range(request.writeAddress, request.writeQuantity)))
        }
        guard request.hasAddress else { return }
        let span = Self.range(request.address, request.hasQuantity ? request.quantity : 1)
        if request.function.isWrite && function != 23 { visitor(.modbusWrite(table, span)) } else { visitor(.modbusRead(table, span)) }
    }

    /// The registers or coil words a write request carries (`[1500, 1600]`; the first 16, then
    /// how many in all).
    public var writtenValues: String? {
        guard let request, request.function.isWrite || request.hasWriteRange, request.valueCount > 0 else { return nil }
        let kept = (0..<request.keptValueCount).map { String(request.values[$0]) }.joined(separator: ", ")
        return "[\(kept)\(request.valueCount > ModbusPDU.valueCapacity ? ", ... \(request.valueCount) values" : "")]"
    }

    static func range(_ start: UInt16, _ quantity: UInt16) -> ClosedRange<UInt32> {
        let low = UInt32(start)
        return low...(low + UInt32(max(quantity, 1)) - 1)
    }

    public var criticalOperation: CriticalOperation? {
        guard let request else { return nil }
        if request.function == .diagnostics && request.hasSubfunction {
            switch request.subfunction {
            case 1: return CriticalOperation(operation: "Modbus restart communications", technique: ("T0816", "Device Restart/Shutdown"))
            case 4: return CriticalOperation(operation: "Modbus force listen-only mode", technique: ("T0858", "Change Operating Mode"))
            default: return nil
            }
        }
        if request.functionRaw == 90 { return CriticalOperation(operation: "Modbus UMAS (Unity programming)", technique: ("T0843", "Program Download")) }
        return nil
    }

    public var mayCarryIdentity: Bool { deviceIdentification != nil }

    /// FC 43/14 device identification objects.
    public func visitIdentity(_ visitor: (StaticString, String) -> Void) {
        guard let deviceIdentification else { return }
        for object in deviceIdentification.objects {
            let name: StaticString
            switch object.id {
            case 0: name = "vendor"
            case 1: name = "product_code"
            case 2: name = "revision"
            case 4: name = "product"
            case 5: name = "model"
            default: continue
            }
            visitor(name, IdentityText.printable(object.value))
        }
    }

    public var pollingSignature: UInt64? {
        guard let request else { return nil }
        return 1 << 56 | UInt64(request.unitId) << 40 | UInt64(request.functionRaw) << 32 | UInt64(request.address) << 16 | UInt64(request.quantity)
    }

    public var answersPoll: Bool { response != nil }
}

extension AppProtocol {
    /// A flow speaking modbus (`app_proto: modbus`).
    public static let modbus = AppProtocol(ModbusProtocol.self)
}
