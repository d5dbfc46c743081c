import SpanwatchFlow
import SpanwatchJSON
import SpanwatchWire

/// EtherNet/IP with CIP (TCP 44818 explicit messaging, UDP 44818 ListIdentity, UDP 2222 implicit
/// I/O): the registration, the baseline's vocabulary (CIP services per class, tags and instances
/// written), and what the policy reads: Reset/Start/Stop as critical, ListIdentity and the
/// Identity object as identity, repeated reads as polling.
public enum ENIPProtocol: AppLayerProtocol {
    public static let name = "enip"
    public static let defaultPorts: [UInt16] = [44818, 2222]
    public static let transports: Set<TransportLayer> = [.tcp, .udp]
    public static let eventTypes = [ENIPEvent.eventType]
    public static let alertingAnomalyLayers: Set<String> = ["enip"]
    public static let roles = (client: "enip_scanner", server: "enip_adapter")
    /// Requests waiting for their reply; past it the oldest is written unanswered.
    public static let pendingRequests = SessionLimit(key: "enip_pending_requests", defaultValue: 64, unit: .count)
    public static let limits = [pendingRequests]

    public static func probe(_ bytes: RawSpan, transport: TransportLayer, serverPort: UInt16, clientPort: UInt16) -> ProbeVerdict {
        let onPort = serverPort == 44818 || clientPort == 44818
        switch transport {
        case .tcp: return ENIP.probe(bytes, datagram: false, onPort: onPort)
        case .udp:
            if ENIP.probe(bytes, datagram: true, onPort: onPort) == .match { return .match }
            return serverPort == 2222 || clientPort == 2222 ? ENIP.probeIO(bytes) : .no
        default: return .no
        }
    }

    public static func makeSession(transport: TransportLayer, context: SessionContext) -> AppSession? {
        transport == .tcp || transport == .udp ? ENIPSession(limits: context.limits, datagram: transport == .udp) : nil
    }

    /// Services that change data: attribute sets, tag writes, read-modify-write, member sets.
    static func writes(_ service: UInt8, classID: UInt32?) -> Bool {
        switch service {
        case 0x02, 0x04, 0x10, 0x19, 0x4D, 0x53: true
        case 0x4E: classID != 0x06  // Read_Modify_Write (on the Connection Manager: Forward_Close)
        default: false
        }
    }

    static let namesPerEdge = 256

    // MARK: Vocabulary

    /// A CIP service with the class it addresses: `Write_Tag@0x6B`, `Get_Attribute_Single@0x01`.
    public static let service = OperationField(
        protocolName: name, key: "service", section: "services", layout: .inline(quoted: true),
        format: { value in serviceText(value.number ?? 0) },
        parse: { text in
            let parts = text.split(separator: "@")
            guard parts.count == 2, parts[1].hasPrefix("0x"), let classID = UInt32(parts[1].dropFirst(2), radix: 16), classID <= 0xFFFF else { return nil }
            let named = (0...0x7F).first { CIPNames.service(UInt8($0), classID: classID).description == String(parts[0]) }
            guard let service = named.map(UInt32.init) ?? (parts[0].hasPrefix("0x") ? UInt32(parts[0].dropFirst(2), radix: 16) : nil), service <= 0x7F else { return nil }
            return .number(classID << 8 | service)
        },
        describe: { value, _, _ in "CIP \(serviceText(value.number ?? 0))" },
        isWrite: { value in writes(UInt8(truncatingIfNeeded: value.number ?? 0), classID: (value.number ?? 0) >> 8) },
        invalidValue: { "has '\($0)', not SERVICE@0xCLASS like Write_Tag@0x6B" })
    /// Tags written by name (Logix Write Tag, Write Tag Fragmented, Read-Modify-Write).
    public static let writeTag = OperationField(protocolName: name, key: "write_tag", section: "write_tags", constrainsEdge: false,
                                                capacity: namesPerEdge, layout: .block,
                                                describe: { value, _, _ in "CIP write to tag '\(OperationField.plain(value))'" },
                                                isWrite: { _ in true })
    /// Instances whose attributes are set, per class (`0x04`: assemblies).
    public static let write = OperationField(
        protocolName: name, key: "write", section: "writes", kind: .ranges(isWrite: true), constrainsEdge: false,
        parse: { text in text.hasPrefix("0x") && UInt32(text.dropFirst(2), radix: 16) != nil ? .text(String(text)) : nil },
        describe: { table, _, range in "CIP attribute write to class \(OperationField.plain(table)) instances \(range.map(AddressRanges.text) ?? "")" },
        invalidValue: { "keys are classes like 0x04, not '\($0)'" })
    public static let vocabulary = OperationVocabulary(protocolName: name, fields: [service, writeTag, write])

    static func serviceText(_ packed: UInt32) -> String {
        let classID = packed >> 8, service = UInt8(truncatingIfNeeded: packed)
        let name = CIPNames.service(service, classID: classID)
        let serviceText = name.description == "unknown" ? "0x" + String(service, radix: 16) : name.description
        return serviceText + "@0x" + String(classID, radix: 16)
    }
}

extension AppProtocol {
    /// A flow speaking EtherNet/IP (`app_proto: enip`).
    public static let enip = AppProtocol(ENIPProtocol.self)
}

extension ENIPEvent: ProtocolEvent {
    public static let eventType = EventType("enip")

    public func writeEve(into builder: JSONLineBuilder) {
        builder.field("tx_id", transactionIndex)
        ENIPEveObject.write(self, into: builder)
    }

    /// The CIP requests a scanner sent: each service with its class, and what it writes; the
    /// services inside a Multiple Service Packet or Unconnected Send count as sent.
    public func visitOperations(direction: StreamDirection?, _ visitor: (ProtocolOperation) -> Void) {
        guard let cip = request?.cip, !cip.isResponse else { return }
        func visit(service: UInt8, path: CIPPath) {
            let classID = path.classID ?? (path.hasSymbol ? 0x6B : 0)
            visitor(ProtocolOperation(ENIPProtocol.service, .number(classID << 8 | UInt32(service))))
            guard ENIPProtocol.writes(service, classID: path.classID) else { return }
            if path.hasSymbol {
                visitor(ProtocolOperation(ENIPProtocol.writeTag, .text(String(decoding: path.symbol.array, as: UTF8.self))))
            } else if let instance = path.instance {
                visitor(ProtocolOperation(ENIPProtocol.write, table: "0x" + String(classID, radix: 16), instance...instance))
            }
        }
        visit(service: cip.service, path: cip.path)
        for index in 0..<cip.embeddedCount where !cip.embedded[index].isResponse {
            visit(service: cip.embedded[index].service, path: cip.embedded[index].path)
        }
    }

    /// Reset, Start and Stop, and the PCCC commands that change a PLC-5/SLC/MicroLogix program or
    /// mode (Execute PCCC), directly or inside a Multiple Service Packet / Unconnected Send.
    public var criticalOperation: CriticalOperation? {
        guard let cip = request?.cip, !cip.isResponse else { return nil }
        if let operation = cip.pccc?.criticalOperation { return operation }
        // The strongest of Stop, Start, Reset among the message and its inner requests (no
        // allocation: this runs for every request).
        var strongest: UInt8 = 0
        func note(_ service: UInt8) {
            let rank: UInt8 = service == 0x07 ? 3 : service == 0x06 ? 2 : service == 0x05 ? 1 : 0
            if rank > strongest { strongest = rank }
        }
        note(cip.service)
        for index in 0..<cip.embeddedCount where !cip.embedded[index].isResponse {
            if let operation = cip.embedded[index].pccc?.criticalOperation { return operation }
            note(cip.embedded[index].service)
        }
        switch strongest {
        case 3: return CriticalOperation(operation: "CIP Stop", technique: ("T0858", "Change Operating Mode"))
        case 2: return CriticalOperation(operation: "CIP Start", technique: ("T0858", "Change Operating Mode"))
        case 1: return CriticalOperation(operation: "CIP Reset", technique: ("T0816", "Device Restart/Shutdown"))
        default: return nil
        }
    }

    var identity: ENIPIdentity? {
        if let identity = response?.identity { return identity }
        if request?.cip?.path.classID == 0x01, let identity = response?.cip?.identityAttributes { return identity }
        return nil
    }

    public var mayCarryIdentity: Bool { identity != nil }

    /// ListIdentity replies and the Identity object's Get_Attributes_All.
    public func visitIdentity(_ visitor: (StaticString, String) -> Void) {
        guard let identity else { return }
        visitor("vendor_id", String(identity.vendorID))
        visitor("device_type", String(identity.deviceType))
        visitor("product_code", String(identity.productCode))
        visitor("firmware", "\(identity.revisionMajor).\(identity.revisionMinor)")
        visitor("serial_number", String(identity.serial))
        let name = IdentityText.printable(identity.productName.array)
        if !name.isEmpty { visitor("product", name) }
    }

    /// A scanner's repeated read of the same class, instance and attribute (or tag).
    public var pollingSignature: UInt64? {
        guard let cip = request?.cip, !cip.isResponse, !ENIPProtocol.writes(cip.service, classID: cip.path.classID) else { return nil }
        var hash = UInt64(cip.service) << 48 | UInt64(cip.path.classID ?? 0) << 32 | UInt64(cip.path.instance ?? 0) << 16 | UInt64(cip.path.attribute ?? 0)
        if cip.path.hasSymbol { for byte in cip.path.symbol.array { hash = hash &* 31 &+ UInt64(byte) } }
        return 6 << 56 | hash & 0x00FF_FFFF_FFFF_FFFF
    }

    public var answersPoll: Bool { response != nil || io != nil }
}
