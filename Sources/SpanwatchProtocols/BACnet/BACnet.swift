import SpanwatchFlow
import SpanwatchJSON
import SpanwatchWire
// BACnet/IP (ANSI/ASHRAE 135, Annex J: BVLL; clause 6: NPDU; clause 20: APDU and the encoding of
// service parameters). One BVLC message per UDP datagram (47808):
//
//  0      1          2               4
// +------+----------+---------------+------------------------------------------------------
// | 0x81 | function | length (BE)   | [Forwarded-NPDU: 6-byte original B/IP address] NPDU ...
// +------+----------+---------------+------------------------------------------------------
//
// NPDU: version 1, control (0x80 network-layer message, 0x20 DNET present, 0x08 SNET present,
// 0x04 expecting reply), then DNET/DLEN/DADR, SNET/SLEN/SADR, hop count (with DNET), and a
// network message type or the APDU.
//
// APDU, by its type in the high nibble of the first byte:
//   0 Confirmed-Request  flags (SEG 0x08, MOR 0x04) | max segs/APDU | invoke id | [seq, window] | service
//   1 Unconfirmed-Request                                            service
//   2 SimpleACK          invoke id | service          3 ComplexACK  flags | invoke id | [seq, window] | service
//   4 SegmentACK         invoke id | seq | window     5 Error       invoke id | service | class | code
//   6 Reject             invoke id | reason           7 Abort       invoke id | reason
//
// Service parameters are tagged (clause 20.2): a tag number in the high nibble, the context bit
// 0x08, a length in the low three bits (5: the length follows; 6/7: opening/closing tags).

public enum BACnet {
    public static let bvlcType: UInt8 = 0x81
    public static let bvlcHeaderLength = 4
    public static let forwardedAddressLength = 6
    public static let maximumMessageLength = 1497

    /// Detection: a BVLC header with a known function and, when it carries an NPDU, NPDU version
    /// 1. On port 47808 the BVLC header alone decides (a malformed NPDU there is an anomaly of a
    /// BACnet flow, and the next datagrams are still read).
    public static func probe(_ datagram: RawSpan, onPort: Bool) -> ProbeVerdict {
        guard datagram.byteCount >= bvlcHeaderLength else { return .no }
        if onPort { return datagram.u8(0) == bvlcType && datagram.u8(1) <= 0x0C ? .match : .no }
        // The length should be the datagram's; devices that get it wrong are still BACnet (tshark
        // reads them), so only a length below the header rules it out.
        guard datagram.u8(0) == bvlcType, datagram.u8(1) <= 0x0C, Int(datagram.u16be(2)) >= bvlcHeaderLength else { return .no }
        if let npdu = npduOffset(function: datagram.u8(1)) {
            guard datagram.byteCount > npdu, datagram.u8(npdu) == 0x01 else { return .no }
        }
        return .match
    }

    /// Where the NPDU starts for the functions that carry one.
    static func npduOffset(function: UInt8) -> Int? {
        switch function {
        case 0x04: bvlcHeaderLength + forwardedAddressLength
        case 0x09, 0x0A, 0x0B: bvlcHeaderLength
        default: nil
        }
    }

    /// Parses one BVLC message (one UDP datagram).
    public static func parse(_ datagram: RawSpan) -> BACnetMessage {
        var message = BACnetMessage()
        guard datagram.byteCount >= bvlcHeaderLength, datagram.u8(0) == bvlcType else {
            message.anomalies.insert(.invalidBVLC)
            return message
        }
        message.function = datagram.u8(1)
        message.bvlcLength = Int(datagram.u16be(2))
        if message.bvlcLength != datagram.byteCount { message.anomalies.insert(.lengthMismatch) }
        // A length field that disagrees with the datagram: the datagram is what arrived.
        let end = datagram.byteCount
        if message.function == 0x00, end >= 6 { message.resultCode = datagram.u16be(4) }
        guard let npdu = npduOffset(function: message.function) else { return message }
        guard end > npdu else {
            message.anomalies.insert(.truncated)
            return message
        }
        parseNPDU(datagram.extracting(npdu..<end), into: &message)
        return message
    }

    static func parseNPDU(_ bytes: RawSpan, into message: inout BACnetMessage) {
        message.hasNPDU = true
        guard bytes.byteCount >= 2, bytes.u8(0) == 0x01 else {
            message.anomalies.insert(.invalidNPDU)
            return
        }
        let control = bytes.u8(1)
        message.npduControl = control
        var offset = 2
        let hasDestination = control & 0x20 != 0
        if hasDestination {
            guard offset + 3 <= bytes.byteCount else { message.anomalies.insert(.truncated); return }
            message.destinationNetwork = bytes.u16be(offset)
            offset += 3 + Int(bytes.u8(offset + 2))
        }
        if control & 0x08 != 0 {
            guard offset + 3 <= bytes.byteCount else { message.anomalies.insert(.truncated); return }
            message.sourceNetwork = bytes.u16be(offset)
            offset += 3 + Int(bytes.u8(offset + 2))
        }
        if hasDestination { offset += 1 }  // hop count
        guard offset <= bytes.byteCount else { message.anomalies.insert(.truncated); return }
        if control & 0x80 != 0 {
            guard offset < bytes.byteCount else { message.anomalies.insert(.truncated); return }
            message.networkMessageType = bytes.u8(offset)
            return
        }
        guard offset < bytes.byteCount else { message.anomalies.insert(.truncated); return }
        parseAPDU(bytes.extracting(offset..<bytes.byteCount), into: &message)
    }

    static func parseAPDU(_ apdu: RawSpan, into message: inout BACnetMessage) {
        message.hasAPDU = true
        let first = apdu.u8(0)
        message.apduType = first >> 4
        var offset = 1
        func take() -> UInt8? {
            guard offset < apdu.byteCount else { return nil }
            defer { offset += 1 }
            return apdu.u8(offset)
        }
        switch message.apduType {
        case 0:  // Confirmed-Request
            message.segmented = first & 0x08 != 0
            message.moreSegments = first & 0x04 != 0
            guard take() != nil, let invoke = take() else { message.anomalies.insert(.truncated); return }
            message.invokeID = invoke
            if message.segmented {
                message.sequenceNumber = take()
                _ = take()
            }
            guard let service = take() else { message.anomalies.insert(.truncated); return }
            message.service = service
        case 1:  // Unconfirmed-Request
            guard let service = take() else { message.anomalies.insert(.truncated); return }
            message.service = service
        case 2:  // SimpleACK
            guard let invoke = take(), let service = take() else { message.anomalies.insert(.truncated); return }
            message.invokeID = invoke
            message.service = service
        case 3:  // ComplexACK
            message.segmented = first & 0x08 != 0
            message.moreSegments = first & 0x04 != 0
            guard let invoke = take() else { message.anomalies.insert(.truncated); return }
            message.invokeID = invoke
            if message.segmented {
                message.sequenceNumber = take()
                _ = take()
            }
            guard let service = take() else { message.anomalies.insert(.truncated); return }
            message.service = service
        case 4:  // SegmentACK
            message.serverFlag = first & 0x01 != 0
            message.invokeID = take()
            message.sequenceNumber = take()
            return
        case 5:  // Error
            guard let invoke = take(), let service = take() else { message.anomalies.insert(.truncated); return }
            message.invokeID = invoke
            message.service = service
            var reader = TagReader(offset: offset)
            // Class and code, each an enumerated value (inside an opening tag for some services).
            if reader.peekOpening(apdu) { reader.skipTag(apdu) }
            message.errorClass = reader.readUnsigned(apdu)
            message.errorCode = reader.readUnsigned(apdu)
            return
        case 6, 7:  // Reject, Abort
            message.serverFlag = first & 0x01 != 0
            message.invokeID = take()
            message.reason = take()
            return
        default:
            message.anomalies.insert(.unknownAPDUType)
            return
        }
        // A segment after the first carries the continuation of parameters, not their start.
        if message.segmented && (message.sequenceNumber ?? 0) > 0 { return }
        parseParameters(apdu.extracting(offset..<apdu.byteCount), into: &message)
    }

    /// The parameters that matter: the object and property a request names, I-Am's identity, and
    /// the first value of a ReadProperty answer.
    static func parseParameters(_ bytes: RawSpan, into message: inout BACnetMessage) {
        var reader = TagReader(offset: 0)
        let confirmed = message.apduType == 0 || message.apduType == 3
        if message.apduType == 1 && message.service == 0 {  // I-Am: object id, max APDU, segmentation, vendor
            guard let object = reader.readObjectIdentifier(bytes) else { return }
            message.object = object
            message.maximumAPDU = reader.readUnsigned(bytes)
            _ = reader.readUnsigned(bytes)
            message.vendorID = reader.readUnsigned(bytes)
            return
        }
        guard confirmed || message.apduType == 1 else { return }
        // Services whose first parameter is context tag 0, an object identifier.
        guard let object = reader.readObjectIdentifier(bytes) else { return }
        message.object = object
        guard let property = reader.readUnsigned(bytes) else { return }
        message.propertyID = property
        // ReadProperty-ACK: [array index], then the value inside opening/closing tag 3.
        if message.apduType == 3 && message.service == 12 {
            if reader.peekContext(2, bytes) { _ = reader.readUnsigned(bytes) }
            if reader.peekOpening(bytes) {
                reader.skipTag(bytes)
                message.value = reader.readApplicationValue(bytes)
            }
        }
    }
}

/// Reads BACnet tags (clause 20.2.1) from `bytes`, a position at a time, without allocating; a
/// tag running past the end stops it.
struct TagReader {
    var offset: Int

    init(offset: Int) {
        self.offset = offset
    }

    /// (tag number, context?, length, header size), or nil at the end or on a bad tag.
    func header(_ bytes: RawSpan) -> (number: UInt8, context: Bool, length: Int, size: Int)? {
        guard offset < bytes.byteCount else { return nil }
        let first = bytes.u8(offset)
        var number = first >> 4
        var size = 1
        if number == 0x0F {
            guard offset + size < bytes.byteCount else { return nil }
            number = bytes.u8(offset + size)
            size += 1
        }
        var length = Int(first & 0x07)
        if length == 5 {
            guard offset + size < bytes.byteCount else { return nil }
            length = Int(bytes.u8(offset + size))
            size += 1
            if length == 254 {
                guard offset + size + 2 <= bytes.byteCount else { return nil }
                length = Int(bytes.u16be(offset + size))
                size += 2
            } else if length == 255 {
                return nil  // 4-byte lengths do not fit a datagram
            }
        } else if length >= 6 {
            length = 0  // opening or closing tag
        }
        return (number, first & 0x08 != 0, length, size)
    }

    func peekOpening(_ bytes: RawSpan) -> Bool { offset < bytes.byteCount && bytes.u8(offset) & 0x0F == 0x0E }

    func peekContext(_ number: UInt8, _ bytes: RawSpan) -> Bool {
        guard let tag = header(bytes) else { return false }
        return tag.context && tag.number == number && bytes.u8(offset) & 0x07 < 6
    }

    mutating func skipTag(_ bytes: RawSpan) {
        guard let tag = header(bytes) else { offset = bytes.byteCount; return }
        offset += tag.size + tag.length
    }

    /// An unsigned or enumerated value (application or context tag) of 1-4 bytes.
    mutating func readUnsigned(_ bytes: RawSpan) -> UInt32? {
        guard let tag = header(bytes), (1...4).contains(tag.length), offset + tag.size + tag.length <= bytes.byteCount,
              bytes.u8(offset) & 0x07 < 6 else { return nil }
        var value: UInt32 = 0
        for index in 0..<tag.length { value = value << 8 | UInt32(bytes.u8(offset + tag.size + index)) }
        offset += tag.size + tag.length
        return value
    }

    /// An object identifier: 10 bits of type, 22 of instance.
    mutating func readObjectIdentifier(_ bytes: RawSpan) -> BACnetObject? {
        guard let tag = header(bytes), tag.length == 4, offset + tag.size + 4 <= bytes.byteCount else { return nil }
        guard tag.context || tag.number == 12 else { return nil }
        let raw = bytes.u32be(offset + tag.size)
        offset += tag.size + 4
        return BACnetObject(type: UInt16(raw >> 22), instance: raw & 0x3F_FFFF)
    }

    /// The first application-tagged value: a number, or text for character strings.
    mutating func readApplicationValue(_ bytes: RawSpan) -> BACnetValue? {
        guard let tag = header(bytes), !tag.context, offset + tag.size + tag.length <= bytes.byteCount else { return nil }
        let start = offset + tag.size
        defer { offset = start + tag.length }
        switch tag.number {
        case 1: return .unsigned(UInt32(bytes.u8(offset) & 0x07))  // boolean: the value is the length field
        case 2, 9:  // unsigned, enumerated
            guard (1...4).contains(tag.length) else { return nil }
            var value: UInt32 = 0
            for index in 0..<tag.length { value = value << 8 | UInt32(bytes.u8(start + index)) }
            return .unsigned(value)
        case 4:  // real
            guard tag.length == 4 else { return nil }
            return .real(Double(Float(bitPattern: bytes.u32be(start))))
        case 7:  // character string: a character set byte (0: UTF-8), then the text
            guard tag.length >= 1, bytes.u8(start) == 0 else { return nil }
            return .text(InlineText(bytes.extracting((start + 1)..<(start + tag.length))))
        default:
            return nil
        }
    }
}

public struct BACnetObject: Sendable, Equatable {
    public var type: UInt16
    public var instance: UInt32
    public init(type: UInt16, instance: UInt32) {
        self.type = type
        self.instance = instance
    }
}

public enum BACnetValue: Sendable {
    case unsigned(UInt32)
    case real(Double)
    case text(InlineText)
}

/// What is wrong with a message (each becomes a `bacnet.*` anomaly).
public struct BACnetAnomalies: OptionSet, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let invalidBVLC = BACnetAnomalies(rawValue: 1 << 0)
    public static let lengthMismatch = BACnetAnomalies(rawValue: 1 << 1)
    public static let truncated = BACnetAnomalies(rawValue: 1 << 2)
    public static let invalidNPDU = BACnetAnomalies(rawValue: 1 << 3)
    public static let unknownAPDUType = BACnetAnomalies(rawValue: 1 << 4)

    public var eventNames: [String] {
        var names: [String] = []
        if contains(.invalidBVLC) { names.append("bacnet.invalid_bvlc") }
        if contains(.lengthMismatch) { names.append("bacnet.bvlc_length_mismatch") }
        if contains(.truncated) { names.append("bacnet.truncated") }
        if contains(.invalidNPDU) { names.append("bacnet.invalid_npdu") }
        if contains(.unknownAPDUType) { names.append("bacnet.unknown_apdu_type") }
        return names
    }
}

/// One BVLC message, parsed (fixed size: nothing allocated).
public struct BACnetMessage: Sendable {
    public var function: UInt8 = 0
    public var bvlcLength = 0
    public var resultCode: UInt16? = nil
    public var hasNPDU = false
    public var npduControl: UInt8 = 0
    public var sourceNetwork: UInt16? = nil
    public var destinationNetwork: UInt16? = nil
    public var networkMessageType: UInt8? = nil
    public var hasAPDU = false
    public var apduType: UInt8 = 0
    public var service: UInt8? = nil
    public var invokeID: UInt8? = nil
    public var segmented = false
    public var moreSegments = false
    public var sequenceNumber: UInt8? = nil
    public var object: BACnetObject? = nil
    public var propertyID: UInt32? = nil
    public var value: BACnetValue? = nil
    public var errorClass: UInt32? = nil
    public var errorCode: UInt32? = nil
    /// Reject or abort reason.
    public var reason: UInt8? = nil
    /// SegmentACK and Abort: the SRV bit (sent by the server).
    public var serverFlag = false
    /// I-Am.
    public var maximumAPDU: UInt32? = nil
    public var vendorID: UInt32? = nil
    public var anomalies: BACnetAnomalies = []
    public init() {}

    /// A request a client chose (confirmed or unconfirmed).
    public var isRequest: Bool { hasAPDU && (apduType == 0 || apduType == 1) }

    /// Whether a server (a device, a BBMD) sends this: answers, a server's abort or segment ACK,
    /// and the unconfirmed services devices send of themselves (I-Am, I-Have, COV and event
    /// notifications); nil when the message does not tell (a network-layer message, a bad one).
    public var isFromServer: Bool? {
        if !hasNPDU {
            switch function {
            case 0x00, 0x03, 0x07: return true  // BVLC-Result, Read-BDT-Ack, Read-FDT-Ack
            case 0x01, 0x02, 0x05, 0x06, 0x08: return false  // table writes and reads, registration
            default: return nil
            }
        }
        guard hasAPDU, anomalies.isEmpty || anomalies == [.lengthMismatch] else { return nil }
        switch apduType {
        case 0: return false
        case 1: return service.map { [0, 1, 2, 3].contains($0) }
        case 2, 3, 5, 6: return true
        case 4, 7: return serverFlag
        default: return nil
        }
    }
}
