import SpanwatchFlow
import SpanwatchJSON
import SpanwatchWire
// EtherNet/IP (ODVA, The CIP Networks Library vol. 2, chapter 2: encapsulation; 2-6: common
// packet format) carrying CIP (vol. 1, chapter 2-4: message router request and response, EPATH
// in appendix C-1). Explicit messaging on TCP 44818 (ListIdentity also on UDP 44818); implicit
// I/O on UDP 2222 as a bare common packet format.
//
// Encapsulation header (24 bytes, little-endian), then `length` bytes of command data:
//
//  0         2         4                 8                12                       20        24
// +---------+---------+-----------------+-----------------+------------------------+---------+
// | command | length  | session handle  | status          | sender context         | options |
// +---------+---------+-----------------+-----------------+------------------------+---------+
//
// SendRRData (0x6F) and SendUnitData (0x70): interface handle (4), timeout (2), then the common
// packet format: item count (2), items of type (2), length (2), data. CIP rides in an
// unconnected data item (0x00B2) or a connected data item (0x00B1, after a 2-byte sequence count).
//
// CIP request: service (1), path size in words (1), path, data.
// CIP response: service | 0x80, reserved, general status, additional status size (words), ...

public enum ENIP: StreamFramer {
    public static let headerLength = 24
    /// The largest encapsulation message: a header and 65,511 bytes (the length field is 16 bits).
    public static let maximumFrameLength = headerLength + 65511

    public static let knownCommands: Set<UInt16> = [0x0000, 0x0001, 0x0004, 0x0063, 0x0064, 0x0065, 0x0066, 0x006F, 0x0070, 0x0072, 0x0073]

    public static func probeFrame(_ bytes: RawSpan) -> FrameProbe {
        guard bytes.byteCount >= headerLength else { return .needMore(totalLength: headerLength) }
        let total = headerLength + Int(bytes.u16le(2))
        return bytes.byteCount >= total ? .complete(length: total) : .needMore(totalLength: total)
    }

    /// Detection: a known command, options zero, and a length that fits: a datagram is exactly
    /// one message; off port 44818 a first TCP segment must hold its whole first message, and NOP
    /// (command 0, too common a start for other protocols) counts only on the port.
    public static func probe(_ bytes: RawSpan, datagram: Bool, onPort: Bool) -> ProbeVerdict {
        func known(_ command: UInt16) -> Bool { knownCommands.contains(command) && (command != 0 || onPort) }
        guard bytes.byteCount >= headerLength else {
            guard !datagram, bytes.byteCount >= 2 else { return datagram ? .no : .needMore }
            return known(bytes.u16le(0)) ? .needMore : .no
        }
        guard known(bytes.u16le(0)), bytes.u32le(20) == 0 else { return .no }
        let total = headerLength + Int(bytes.u16le(2))
        if datagram { return total == bytes.byteCount ? .match : .no }
        return total <= bytes.byteCount || onPort ? .match : .no
    }

    /// Implicit I/O (UDP 2222): a common packet format whose first item is a sequenced address.
    public static func probeIO(_ datagram: RawSpan) -> ProbeVerdict {
        guard datagram.byteCount >= 14, datagram.u16le(0) >= 1, datagram.u16le(2) == 0x8002, datagram.u16le(4) == 8 else { return .no }
        return .match
    }

    public static func commandName(_ command: UInt16) -> StaticString {
        switch command {
        case 0x0000: "nop"
        case 0x0001: "list_targets"
        case 0x0004: "list_services"
        case 0x0063: "list_identity"
        case 0x0064: "list_interfaces"
        case 0x0065: "register_session"
        case 0x0066: "unregister_session"
        case 0x006F: "send_rr_data"
        case 0x0070: "send_unit_data"
        case 0x0072: "indicate_status"
        case 0x0073: "cancel"
        default: "unknown"
        }
    }

    /// Parses one encapsulation message (as framed by `probeFrame`, or one datagram).
    public static func parse(_ message: RawSpan) -> ENIPMessage {
        var result = ENIPMessage()
        guard message.byteCount >= headerLength else {
            result.anomalies.insert(.truncated)
            return result
        }
        result.command = message.u16le(0)
        result.length = message.u16le(2)
        result.session = message.u32le(4)
        result.status = message.u32le(8)
        result.senderContext = UInt64(message.u32le(12)) | UInt64(message.u32le(16)) << 32
        let end = min(message.byteCount, headerLength + Int(result.length))
        if headerLength + Int(result.length) != message.byteCount { result.anomalies.insert(.lengthMismatch) }
        if !knownCommands.contains(result.command) { result.anomalies.insert(.unknownCommand) }
        let data = message.extracting(headerLength..<end)
        switch result.command {
        case 0x006F, 0x0070:
            guard data.byteCount >= 6 else {
                if data.byteCount > 0 || result.status == 0 { result.anomalies.insert(.truncated) }
                return result
            }
            parseItems(data.extracting(6..<data.byteCount), into: &result)
        case 0x0063, 0x0004:
            if data.byteCount >= 2 { parseItems(data, into: &result) }
        default:
            break
        }
        return result
    }

    /// A bare common packet format (implicit I/O on UDP 2222).
    public static func parseIO(_ datagram: RawSpan) -> ENIPMessage {
        var result = ENIPMessage()
        result.isIO = true
        parseItems(datagram, into: &result)
        return result
    }

    static func parseItems(_ bytes: RawSpan, into result: inout ENIPMessage) {
        guard bytes.byteCount >= 2 else { result.anomalies.insert(.truncated); return }
        let count = Int(bytes.u16le(0))
        var offset = 2
        for _ in 0..<min(count, 8) {
            guard offset + 4 <= bytes.byteCount else { result.anomalies.insert(.truncated); return }
            let type = bytes.u16le(offset)
            let length = Int(bytes.u16le(offset + 2))
            offset += 4
            guard offset + length <= bytes.byteCount else { result.anomalies.insert(.truncated); return }
            let item = bytes.extracting(offset..<(offset + length))
            result.itemTypes.append(type)
            switch type {
            case 0x00A1 where length >= 4:  // connected address
                result.connectionID = item.u32le(0)
            case 0x8002 where length >= 8:  // sequenced address
                result.connectionID = item.u32le(0)
                result.encapsulationSequence = item.u32le(4)
            case 0x00B2:  // unconnected data: a CIP message
                result.cip = CIPMessage.parse(item)
            case 0x00B1:  // connected data: sequence count, then CIP (explicit) or I/O data
                if result.isIO {
                    result.ioLength = length
                    if length >= 2 { result.cipSequence = item.u16le(0) }
                } else if length >= 2 {
                    result.cipSequence = item.u16le(0)
                    result.cip = CIPMessage.parse(item.extracting(2..<length))
                }
            case 0x000C:  // identity
                result.identity = ENIPIdentity.parse(item)
            default:
                break
            }
            offset += length
        }
    }
}

/// What is wrong with a message (each becomes an `enip.*` anomaly).
public struct ENIPAnomalies: OptionSet, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let truncated = ENIPAnomalies(rawValue: 1 << 0)
    public static let lengthMismatch = ENIPAnomalies(rawValue: 1 << 1)
    public static let unknownCommand = ENIPAnomalies(rawValue: 1 << 2)
    public static let ioSequenceGap = ENIPAnomalies(rawValue: 1 << 4)

    public var eventNames: [String] {
        var names: [String] = []
        if contains(.truncated) { names.append("enip.truncated") }
        if contains(.lengthMismatch) { names.append("enip.length_mismatch") }
        if contains(.unknownCommand) { names.append("enip.unknown_command") }
        if contains(.ioSequenceGap) { names.append("enip.io_sequence_gap") }
        return names
    }
}

/// One encapsulation message (or implicit I/O packet), parsed.
public struct ENIPMessage: Sendable {
    public var isIO = false
    public var command: UInt16 = 0
    public var length: UInt16 = 0
    public var session: UInt32 = 0
    public var status: UInt32 = 0
    public var senderContext: UInt64 = 0
    /// The common packet format's item types, in order (the first 8).
    public var itemTypes = InlineItems()
    public var connectionID: UInt32? = nil
    public var encapsulationSequence: UInt32? = nil
    public var cipSequence: UInt16? = nil
    public var ioLength = 0
    public var cip: CIPMessage? = nil
    public var identity: ENIPIdentity? = nil
    public var anomalies: ENIPAnomalies = []
    public init() {}
}

/// Up to 8 item types, inline.
public struct InlineItems: Sendable {
    public var types = InlineArray<8, UInt16>(repeating: 0)
    public var count = 0
    public init() {}
    mutating func append(_ type: UInt16) {
        guard count < 8 else { return }
        types[count] = type
        count += 1
    }
}

/// A CIP message router request or response: service, the first logical segments and symbol
/// of the path, status, and (one level down) the services of a Multiple Service Packet or the
/// request inside an Unconnected Send.
public struct CIPMessage: Sendable {
    public static let embeddedCapacity = 8
    public var service: UInt8 = 0
    public var isResponse = false
    public var path = CIPPath()
    public var generalStatus: UInt8 = 0
    public var extendedStatus: UInt16? = nil
    /// Inner messages (Multiple Service Packet services, or the Unconnected Send's request).
    public var embedded = InlineArray<8, CIPInner>(repeating: CIPInner())
    public var embeddedCount = 0
    /// Forward Open (0x54, 0x5B) request: connection ids, RPIs, connection sizes.
    public var forwardOpen: CIPForwardOpen? = nil
    /// A Get_Attributes_All reply read as the Identity object's attributes.
    public var identityAttributes: ENIPIdentity? = nil
    /// Execute PCCC (0x4B to the PCCC object, class 0x67) request: the PLC-5/SLC/MicroLogix command.
    public var pccc: PCCCCommand? = nil
    public init() {}

    public static func parse(_ bytes: RawSpan) -> CIPMessage? {
        guard bytes.byteCount >= 2 else { return nil }
        var message = CIPMessage()
        message.service = bytes.u8(0) & 0x7F
        message.isResponse = bytes.u8(0) & 0x80 != 0
        if message.isResponse {
            guard bytes.byteCount >= 4 else { return message }
            message.generalStatus = bytes.u8(2)
            let words = Int(bytes.u8(3))
            if words > 0, bytes.byteCount >= 6 { message.extendedStatus = bytes.u16le(4) }
            let dataStart = 4 + 2 * words
            if message.service == 0x0A, message.generalStatus == 0 || message.generalStatus == 0x1E, dataStart <= bytes.byteCount {
                message.parseMultiple(bytes.extracting(dataStart..<bytes.byteCount), responses: true)
            }
            // Get_Attributes_All may answer the Identity object: read it as one (the session keeps
            // it only when the request named class 1).
            if message.service == 0x01, message.generalStatus == 0, dataStart + 15 <= bytes.byteCount {
                message.identityAttributes = ENIPIdentity.parseAttributes(bytes.extracting(dataStart..<bytes.byteCount))
            }
            return message
        }
        let words = Int(bytes.u8(1))
        let pathEnd = 2 + 2 * words
        guard pathEnd <= bytes.byteCount else { return message }
        message.path = CIPPath.parse(bytes.extracting(2..<pathEnd))
        let data = bytes.extracting(pathEnd..<bytes.byteCount)
        switch message.service {
        case 0x0A:  // Multiple Service Packet
            message.parseMultiple(data, responses: false)
        case 0x52 where data.byteCount >= 4:  // Unconnected Send: priority/tick, timeout ticks, size, request
            let size = Int(data.u16le(2))
            if 4 + size <= data.byteCount, let inner = CIPMessage.parse(data.extracting(4..<(4 + size))) {
                message.embedded[0] = CIPInner(inner)
                message.embeddedCount = 1
            }
        case 0x54, 0x5B:  // Forward Open, Large Forward Open
            message.forwardOpen = CIPForwardOpen.parse(data, large: message.service == 0x5B)
        case 0x4B where message.path.classID == 0x67:
            message.pccc = PCCCCommand.parse(data)
        default:
            break
        }
        return message
    }

    mutating func parseMultiple(_ data: RawSpan, responses: Bool) {
        guard data.byteCount >= 2 else { return }
        let count = Int(data.u16le(0))
        for index in 0..<min(count, CIPMessage.embeddedCapacity) {
            let at = 2 + 2 * index
            guard at + 2 <= data.byteCount else { return }
            let start = Int(data.u16le(at))
            let end = index + 1 < count && at + 4 <= data.byteCount ? Int(data.u16le(at + 2)) : data.byteCount
            guard start < end, end <= data.byteCount, let inner = CIPMessage.parse(data.extracting(start..<end)) else { continue }
            embedded[embeddedCount] = CIPInner(inner)
            embeddedCount += 1
        }
    }
}

/// An inner CIP message (no further nesting).
public struct CIPInner: Sendable {
    public var service: UInt8 = 0
    public var isResponse = false
    public var path = CIPPath()
    public var generalStatus: UInt8 = 0
    public var pccc: PCCCCommand? = nil
    public init() {}
    init(_ message: CIPMessage) {
        service = message.service
        isResponse = message.isResponse
        path = message.path
        generalStatus = message.generalStatus
        pccc = message.pccc
    }
}

/// The PCCC command an Execute PCCC request carries (Rockwell's DF1 command set for PLC-5, SLC
/// 500 and MicroLogix, tunnelled in CIP): after the requestor id (its first byte is its own
/// length; then vendor id and serial number) come CMD, STS, TNS (2 bytes) and, for the command
/// groups 0x06, 0x07 and 0x0F, FNC and its parameters.
public struct PCCCCommand: Sendable, Equatable {
    public var command: UInt8
    public var function: UInt8?
    /// Change CPU mode (0x0F/0x80): the mode asked for (1 Remote Program, 6 Remote Run, 7-9 test modes).
    public var mode: UInt8?

    public init(command: UInt8, function: UInt8?, mode: UInt8?) {
        self.command = command
        self.function = function
        self.mode = mode
    }

    static func parse(_ data: RawSpan) -> PCCCCommand? {
        guard data.byteCount >= 1 else { return nil }
        let start = Int(data.u8(0))
        guard start >= 1, start + 4 <= data.byteCount else { return nil }
        let command = data.u8(start)
        guard [0x06, 0x07, 0x0F].contains(command & 0x0F), start + 5 <= data.byteCount else {
            return PCCCCommand(command: command, function: nil, mode: nil)
        }
        let function = data.u8(start + 4)
        let mode = function == 0x80 && start + 6 <= data.byteCount ? data.u8(start + 5) : nil
        return PCCCCommand(command: command, function: function, mode: mode)
    }

    /// What a PCCC command does to a controller's program or mode, when it does (Wireshark's
    /// cip_pccc_fnc_0f_vals names the functions; ATT&CK for ICS the techniques).
    public var criticalOperation: CriticalOperation? {
        guard command & 0x0F == 0x0F, let function else { return nil }
        switch function {
        case 0x80:
            let modes: [UInt8: String] = [1: "Remote Program", 6: "Remote Run", 7: "Remote Test Continuous", 8: "Remote Test Single", 9: "Remote Test Debug"]
            let target = mode.map { modes[$0] ?? "mode \($0)" } ?? "another mode"
            return CriticalOperation(operation: "PCCC change CPU mode to \(target)", technique: ("T0858", "Change Operating Mode"))
        case 0x3A: return CriticalOperation(operation: "PCCC set CPU mode", technique: ("T0858", "Change Operating Mode"))
        case 0x05, 0x50: return CriticalOperation(operation: "PCCC program download", technique: ("T0843", "Program Download"))
        case 0x52: return CriticalOperation(operation: "PCCC download completed", technique: ("T0843", "Program Download"))
        case 0x06, 0x53: return CriticalOperation(operation: "PCCC program upload", technique: ("T0845", "Program Upload"))
        case 0x57: return CriticalOperation(operation: "PCCC initialize memory", technique: ("T0809", "Data Destruction"))
        case 0x07: return CriticalOperation(operation: "PCCC shutdown", technique: ("T0816", "Device Restart/Shutdown"))
        case 0x0A: return CriticalOperation(operation: "PCCC restart request", technique: ("T0816", "Device Restart/Shutdown"))
        default: return nil
        }
    }
}

/// The logical segments and first symbolic segment of an EPATH (CIP vol. 1, appendix C-1).
public struct CIPPath: Sendable {
    public var classID: UInt32? = nil
    public var instance: UInt32? = nil
    public var attribute: UInt32? = nil
    public var connectionPoint: UInt32? = nil
    public var symbol = InlineText()
    public var hasSymbol = false
    public init() {}

    static func parse(_ path: RawSpan) -> CIPPath {
        var result = CIPPath()
        var offset = 0
        while offset < path.byteCount {
            let segment = path.u8(offset)
            switch segment {
            case 0x91:  // ANSI extended symbol: length, text, pad to even
                guard offset + 2 <= path.byteCount else { return result }
                let length = Int(path.u8(offset + 1))
                guard offset + 2 + length <= path.byteCount else { return result }
                if !result.hasSymbol {
                    result.symbol = InlineText(path.extracting((offset + 2)..<(offset + 2 + length)))
                    result.hasSymbol = true
                }
                offset += 2 + length + (length & 1)
            case 0x20...0x3F:  // logical: type in bits 2-4, format in bits 0-1 (8, 16, 32 bits)
                let format = segment & 0x03
                let size = format == 0 ? 1 : format == 1 ? 2 : 4
                let valueAt = offset + (format == 0 ? 1 : 2)  // 16/32-bit values follow a pad byte
                guard valueAt + size <= path.byteCount else { return result }
                let value: UInt32 = size == 1 ? UInt32(path.u8(valueAt)) : size == 2 ? UInt32(path.u16le(valueAt)) : path.u32le(valueAt)
                switch (segment >> 2) & 0x07 {
                case 0: if result.classID == nil { result.classID = value }
                case 1: if result.instance == nil { result.instance = value }
                case 3: if result.connectionPoint == nil { result.connectionPoint = value }
                case 4: if result.attribute == nil { result.attribute = value }
                default: break
                }
                offset = valueAt + size
            case 0x00...0x1F:  // port segment: port (with link address size flag 0x10)
                if segment & 0x10 != 0 {
                    guard offset + 2 <= path.byteCount else { return result }
                    let size = Int(path.u8(offset + 1))
                    offset += 2 + size + (size & 1)
                } else {
                    offset += 2
                }
            default:  // network, data segments and others: nothing this monitor keeps
                return result
            }
        }
        return result
    }
}

public struct CIPForwardOpen: Sendable {
    public var originatorToTargetID: UInt32 = 0
    public var targetToOriginatorID: UInt32 = 0
    public var originatorToTargetRPI: UInt32 = 0
    public var targetToOriginatorRPI: UInt32 = 0
    public var originatorToTargetSize: UInt32 = 0
    public var targetToOriginatorSize: UInt32 = 0

    static func parse(_ data: RawSpan, large: Bool) -> CIPForwardOpen? {
        // ticks(1) timeout(1) O->T id(4) T->O id(4) serial(2) vendor(2) originator serial(4)
        // multiplier(1) reserved(3) O->T RPI(4) O->T params(2|4) T->O RPI(4) T->O params(2|4)
        let parameters = large ? 4 : 2
        guard data.byteCount >= 26 + 2 * parameters + 4 else { return nil }
        var open = CIPForwardOpen()
        open.originatorToTargetID = data.u32le(2)
        open.targetToOriginatorID = data.u32le(6)
        open.originatorToTargetRPI = data.u32le(22)
        open.originatorToTargetSize = large ? data.u32le(26) & 0xFFFF : UInt32(data.u16le(26) & 0x01FF)
        open.targetToOriginatorRPI = data.u32le(26 + parameters)
        let at = 30 + parameters
        open.targetToOriginatorSize = large ? data.u32le(at) & 0xFFFF : UInt32(data.u16le(at) & 0x01FF)
        return open
    }
}

/// A ListIdentity reply's identity item (CIP vol. 2, 2-4.3.2).
public struct ENIPIdentity: Sendable {
    public var protocolVersion: UInt16 = 0
    public var vendorID: UInt16 = 0
    public var deviceType: UInt16 = 0
    public var productCode: UInt16 = 0
    public var revisionMajor: UInt8 = 0
    public var revisionMinor: UInt8 = 0
    public var status: UInt16 = 0
    public var serial: UInt32 = 0
    public var productName = InlineText()
    public var state: UInt8? = nil

    /// The Identity object's attributes 1-7 (vendor, device type, product code, revision, status,
    /// serial, product name), as Get_Attributes_All returns them.
    static func parseAttributes(_ data: RawSpan) -> ENIPIdentity? {
        guard data.byteCount >= 15 else { return nil }
        let length = Int(data.u8(14))
        guard 15 + length <= data.byteCount else { return nil }
        var identity = ENIPIdentity()
        identity.vendorID = data.u16le(0)
        identity.deviceType = data.u16le(2)
        identity.productCode = data.u16le(4)
        identity.revisionMajor = data.u8(6)
        identity.revisionMinor = data.u8(7)
        identity.status = data.u16le(8)
        identity.serial = data.u32le(10)
        identity.productName = InlineText(data.extracting(15..<(15 + length)))
        return identity
    }

    /// A ListIdentity identity item: the protocol version and socket address, the Identity
    /// object's attributes in the same layout, then the state.
    static func parse(_ item: RawSpan) -> ENIPIdentity? {
        let attributes = 18
        guard item.byteCount >= attributes + 15, var identity = parseAttributes(item.extracting(attributes..<item.byteCount)) else { return nil }
        identity.protocolVersion = item.u16le(0)
        let end = attributes + 15 + Int(item.u8(attributes + 14))  // after the name (its length byte, not the kept text)
        if end < item.byteCount { identity.state = item.u8(end) }
        return identity
    }
}
