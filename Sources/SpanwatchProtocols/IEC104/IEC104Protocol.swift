import SpanwatchFlow
import SpanwatchJSON
import SpanwatchWire

/// IEC 60870-5-104 (TCP 2404, and by well-formed APDUs anywhere): the registration, the
/// baseline's vocabulary (common addresses, type/cause pairs a controlling station sends, and the
/// information objects it commands per common address), and what the policy reads from an APDU.
public enum IEC104Protocol: AppLayerProtocol {
    public static let name = "iec104"
    public static let defaultPorts: [UInt16] = [2404]
    public static let transports: Set<TransportLayer> = [.tcp]
    public static let eventTypes = [IEC104Event.eventType]
    public static let alertingAnomalyLayers: Set<String> = ["iec104"]
    public static let roles = (client: "iec104_controlling_station", server: "iec104_controlled_station")
    /// Activations waiting for their confirmation; past it the oldest is forgotten.
    public static let pendingActivations = SessionLimit(key: "iec104_pending_activations", defaultValue: 32, unit: .count)
    public static let limits = [pendingActivations]

    public static func probe(_ bytes: RawSpan, transport: TransportLayer, serverPort: UInt16, clientPort: UInt16) -> ProbeVerdict {
        guard transport == .tcp else { return .no }
        // 0x68 and a length are weak evidence: off port 2404 the APDU must show itself.
        return IEC104.probe(bytes, strict: serverPort != 2404 && clientPort != 2404)
    }

    public static func makeSession(transport: TransportLayer, context: SessionContext) -> AppSession? {
        transport == .tcp ? IEC104Session(limits: context.limits) : nil
    }

    /// Types that change the process: commands and parameter loading.
    static func isWrite(_ type: UInt8) -> Bool { (45...51).contains(type) || (58...64).contains(type) || (110...113).contains(type) }

    // MARK: Vocabulary

    public static let commonAddress = OperationField(
        protocolName: name, key: "common_address", section: "common_addresses", numericLimit: 65535,
        parse: { text in UInt16(text).map { .number(UInt32($0)) } },
        describe: { value, _, _ in "IEC 104 common address \(OperationField.plain(value))" })
    /// A type identification with the cause it was sent with (`C_SC_NA_1/act`).
    public static let type = OperationField(
        protocolName: name, key: "type", section: "types", layout: .inline(quoted: true),
        format: { value in typeText(value.number ?? 0) },
        parse: { text in
            let parts = text.split(separator: "/")
            guard parts.count == 2, let type = IEC104Names.type(named: parts[0]), let cause = IEC104Names.cause(named: parts[1]) else { return nil }
            return .number(UInt32(type) << 8 | UInt32(cause))
        },
        describe: { value, _, _ in "IEC 104 \(typeText(value.number ?? 0))" },
        isWrite: { value in isWrite(UInt8(truncatingIfNeeded: (value.number ?? 0) >> 8)) },
        invalidValue: { "has '\($0)', not TYPE/CAUSE like C_SC_NA_1/act or 45/6" })
    /// The information objects commanded, per common address (`ca1`).
    public static let command = OperationField(
        protocolName: name, key: "command", section: "commands", kind: .ranges(isWrite: true), constrainsEdge: false,
        parse: { text in text.hasPrefix("ca") && UInt16(text.dropFirst(2)) != nil ? .text(String(text)) : nil },
        describe: { table, _, range in
            "IEC 104 command to common address \(OperationField.plain(table).dropFirst(2)) objects \(range.map(AddressRanges.text) ?? "")"
        },
        invalidValue: { "keys are common addresses like ca1, not '\($0)'" },
        tableOrder: { (UInt16($0.dropFirst(2)) ?? 0) < (UInt16($1.dropFirst(2)) ?? 0) })
    public static let vocabulary = OperationVocabulary(protocolName: name, fields: [commonAddress, type, command])

    static func typeText(_ packed: UInt32) -> String {
        let type = UInt8(truncatingIfNeeded: packed >> 8), cause = UInt8(truncatingIfNeeded: packed)
        let typeName = IEC104Names.typeName(type).map { $0.description } ?? String(type)
        // Interrogation groups (21-36, 38-41) share a name: they are written as numbers.
        let grouped = (21...36).contains(cause) || (38...41).contains(cause)
        let causeName = grouped ? nil : IEC104Names.causeName(cause)?.description
        return "\(typeName)/\(causeName ?? String(cause))"
    }
}

extension AppProtocol {
    /// A flow speaking IEC 60870-5-104 (`app_proto: iec104`).
    public static let iec104 = AppProtocol(IEC104Protocol.self)
}

extension IEC104Event: ProtocolEvent {
    public static let eventType = EventType("iec104")

    public func writeEve(into builder: JSONLineBuilder) { IEC104EveObject.write(self, into: builder) }

    /// What a controlling station chose: activations and deactivations it sent.
    public func visitOperations(direction: StreamDirection?, _ visitor: (ProtocolOperation) -> Void) {
        guard self.direction == .toServer, let asdu = apdu.asdu, asdu.isComplete, asdu.isActivation else { return }
        visitor(ProtocolOperation(IEC104Protocol.commonAddress, .number(UInt32(asdu.commonAddress))))
        visitor(ProtocolOperation(IEC104Protocol.type, .number(UInt32(asdu.typeID) << 8 | UInt32(asdu.cause))))
        if asdu.isCommand && asdu.count > 0 {
            visitor(ProtocolOperation(IEC104Protocol.command, table: "ca\(asdu.commonAddress)", asdu.firstAddress...max(asdu.firstAddress, asdu.lastAddress)))
        }
    }

    /// A command's values, object by object (`ioa 5001 = 0`).
    public var writtenValues: String? {
        guard direction == .toServer, let asdu = apdu.asdu, asdu.isComplete, asdu.isCommand, asdu.keptObjectCount > 0 else { return nil }
        return (0..<asdu.keptObjectCount).map { index in
            let object = asdu.objects[index]
            switch object.value {
            case .integer(let value): return "ioa \(object.address) = \(value)"
            case .real(let value): return "ioa \(object.address) = \(value)"
            case .none: return "ioa \(object.address)"
            }
        }.joined(separator: ", ")
    }

    /// Commands to the process, a process reset and file transfer, when activated by the
    /// controlling side.
    public var criticalOperation: CriticalOperation? {
        guard direction == .toServer, let asdu = apdu.asdu, asdu.isComplete, asdu.cause == 6 else { return nil }
        let name = IEC104Names.typeName(asdu.typeID).map { $0.description } ?? String(asdu.typeID)
        if asdu.isCommand {
            return CriticalOperation(operation: "IEC 104 command \(name)", technique: ("T0855", "Unauthorized Command Message"))
        }
        switch asdu.typeID {
        case 105: return CriticalOperation(operation: "IEC 104 reset process", technique: ("T0816", "Device Restart/Shutdown"))
        case 120...127: return CriticalOperation(operation: "IEC 104 file transfer \(name)", technique: nil)
        default: return nil
        }
    }

    /// General and counter interrogation: the cycles a controlling station repeats.
    public var pollingSignature: UInt64? {
        guard direction == .toServer, let asdu = apdu.asdu, asdu.isComplete, asdu.cause == 6, asdu.typeID == 100 || asdu.typeID == 101 else { return nil }
        return 4 << 56 | UInt64(asdu.typeID) << 32 | UInt64(asdu.commonAddress)
    }

    /// Monitor-direction data, confirmations and terminations: the controlled station is alive.
    public var answersPoll: Bool {
        guard let asdu = apdu.asdu else { return false }
        return !asdu.isActivation
    }
}
