import SpanwatchFlow
import SpanwatchJSON
import SpanwatchWire

/// BACnet/IP (UDP 47808, and by a well-formed BVLC header anywhere): the registration, the
/// baseline's vocabulary (services a client uses, objects it writes), and what the policy reads:
/// writes, reinitialize and communication control as critical operations, I-Am and device
/// properties as identity, periodic reads as polling.
public enum BACnetProtocol: AppLayerProtocol {
    public static let name = "bacnet"
    public static let defaultPorts: [UInt16] = [47808]
    public static let transports: Set<TransportLayer> = [.udp]
    public static let eventTypes = [BACnetEvent.eventType]
    public static let alertingAnomalyLayers: Set<String> = ["bacnet"]
    public static let roles = (client: "bacnet_client", server: "bacnet_device")
    /// Confirmed requests waiting for their answer; past it the oldest is forgotten.
    public static let pendingRequests = SessionLimit(key: "bacnet_pending_requests", defaultValue: 64, unit: .count)
    public static let limits = [pendingRequests]

    public static func probe(_ bytes: RawSpan, transport: TransportLayer, serverPort: UInt16, clientPort: UInt16) -> ProbeVerdict {
        transport == .udp ? BACnet.probe(bytes, onPort: serverPort == 47808 || clientPort == 47808) : .no
    }

    public static func makeSession(transport: TransportLayer, context: SessionContext) -> AppSession? {
        transport == .udp ? BACnetSession(limits: context.limits) : nil
    }

    /// Devices talk 47808 to 47808: the first datagram's sender is the server when it answers
    /// (an ACK, error, reject, or a server's abort or segment ACK, a BBMD's result or table) or a
    /// device announces itself or its values (I-Am, I-Have, COV and event notifications).
    public static func datagramIsFromServer(_ bytes: RawSpan) -> Bool? {
        BACnet.parse(bytes).isFromServer
    }

    /// Services that change a device: writes, file writes, objects created or deleted, lists changed.
    static func writes(_ service: UInt8) -> Bool { [7, 8, 9, 10, 11, 15, 16].contains(service) }

    // MARK: Vocabulary

    /// A service with its APDU type: `confirmed/write-property`, `unconfirmed/who-is`.
    public static let service = OperationField(
        protocolName: name, key: "service", section: "services", layout: .inline(quoted: true),
        format: { value in serviceText(value.number ?? 0) },
        parse: { text in
            let parts = text.split(separator: "/")
            guard parts.count == 2, let kind: UInt32 = parts[0] == "confirmed" ? 0 : parts[0] == "unconfirmed" ? 1 : nil else { return nil }
            let named = (0...255).first { code in BACnetNames.service(UInt8(code), apduType: UInt8(kind))?.description == String(parts[1]) }
            guard let code = named.map(UInt8.init) ?? UInt8(parts[1]) else { return nil }
            return .number(kind << 8 | UInt32(code))
        },
        describe: { value, _, _ in "BACnet \(serviceText(value.number ?? 0))" },
        isWrite: { value in (value.number ?? 0) >> 8 == 0 && writes(UInt8(truncatingIfNeeded: value.number ?? 0)) },
        invalidValue: { "has '\($0)', not confirmed/SERVICE or unconfirmed/SERVICE like confirmed/write-property" })
    /// Object instances written, per object type (`analog-value`, or the number of a type without a name).
    public static let write = OperationField(
        protocolName: name, key: "write", section: "writes", kind: .ranges(isWrite: true), constrainsEdge: false,
        describe: { table, _, range in "BACnet write to \(OperationField.plain(table)) \(range.map(AddressRanges.text) ?? "")" })
    public static let vocabulary = OperationVocabulary(protocolName: name, fields: [service, write])

    static func serviceText(_ packed: UInt32) -> String {
        let kind = UInt8(truncatingIfNeeded: packed >> 8), code = UInt8(truncatingIfNeeded: packed)
        let name = BACnetNames.service(code, apduType: kind).map { $0.description } ?? String(code)
        return (kind == 1 ? "unconfirmed/" : "confirmed/") + name
    }

    static func objectTypeText(_ type: UInt16) -> String { BACnetNames.objectType(type).map { $0.description } ?? String(type) }
}

extension AppProtocol {
    /// A flow speaking BACnet/IP (`app_proto: bacnet`).
    public static let bacnet = AppProtocol(BACnetProtocol.self)
}

extension BACnetEvent: ProtocolEvent {
    public static let eventType = EventType("bacnet")

    public func writeEve(into builder: JSONLineBuilder) { BACnetEveObject.write(self, into: builder) }

    public func visitOperations(direction: StreamDirection?, _ visitor: (ProtocolOperation) -> Void) {
        guard message.isRequest, let service = message.service, (message.sequenceNumber ?? 0) == 0 else { return }
        visitor(ProtocolOperation(BACnetProtocol.service, .number(UInt32(message.apduType) << 8 | UInt32(service))))
        if message.apduType == 0, BACnetProtocol.writes(service), let object = message.object {
            visitor(ProtocolOperation(BACnetProtocol.write, table: BACnetProtocol.objectTypeText(object.type), object.instance...object.instance))
        }
    }

    /// The value a WriteProperty request carries (its first, as the decoder reads it).
    public var writtenValues: String? {
        guard message.isRequest, message.apduType == 0, let service = message.service, BACnetProtocol.writes(service) else { return nil }
        switch message.value {
        case .unsigned(let value)?: return String(value)
        case .real(let value)?: return String(value)
        case .text(let text)?: return "'" + String(decoding: text.array, as: UTF8.self) + "'"
        case nil: return nil
        }
    }

    /// Reinitialize, communication control, and writes to a device object.
    public var criticalOperation: CriticalOperation? {
        guard message.isRequest, message.apduType == 0, let service = message.service else { return nil }
        switch service {
        case 20: return CriticalOperation(operation: "BACnet reinitialize-device", technique: ("T0816", "Device Restart/Shutdown"))
        case 17: return CriticalOperation(operation: "BACnet device-communication-control", technique: ("T0881", "Service Stop"))
        case 15 where message.object?.type == 8, 16 where message.object?.type == 8:
            return CriticalOperation(operation: "BACnet write to the device object", technique: ("T0836", "Modify Parameter"))
        default: return nil
        }
    }

    public var mayCarryIdentity: Bool {
        (message.apduType == 1 && message.service == 0) || (message.apduType == 3 && message.service == 12 && message.object?.type == 8)
    }

    /// I-Am (device instance, vendor id) and reads of the device object's naming properties.
    public func visitIdentity(_ visitor: (StaticString, String) -> Void) {
        if message.apduType == 1 && message.service == 0, let object = message.object {
            visitor("device_instance", String(object.instance))
            if let vendor = message.vendorID { visitor("vendor_id", String(vendor)) }
            return
        }
        guard mayCarryIdentity, case .text(let text)? = message.value, let property = message.propertyID else { return }
        let field: StaticString
        switch property {
        case 121: field = "vendor"
        case 70: field = "model"
        case 44: field = "firmware"
        case 12: field = "software_version"
        case 77: field = "name"
        default: return
        }
        visitor(field, IdentityText.printable(text.array))
    }

    /// Periodic reads of the same object and property.
    public var pollingSignature: UInt64? {
        guard message.apduType == 0, message.service == 12 || message.service == 14, let object = message.object else { return nil }
        return 5 << 56 | UInt64(message.service ?? 0) << 48 | UInt64(object.type) << 32 | UInt64(object.instance) << 8
            | UInt64(truncatingIfNeeded: message.propertyID ?? 0)
    }

    /// An answer from the device.
    public var answersPoll: Bool { message.hasAPDU && (2...7).contains(message.apduType) && message.apduType != 4 }
}
