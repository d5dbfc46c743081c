import SpanwatchWire
import SpanwatchFlow
import SpanwatchJSON
// MQTT 3.1 (MQIsdp, level 3), 3.1.1 (level 4) and 5.0 (level 5): OASIS MQTT v3.1.1 §2-3 and
// MQTT v5.0 §2-3.
//
// Fixed header: byte 0 = packet type (high nibble) and flags (low nibble; PUBLISH: DUP 0x08,
// QoS 0x06, RETAIN 0x01), then the remaining length as a variable byte integer (7 bits per byte,
// at most 4 bytes: a 5th continuation is malformed). MQTT 5 adds properties (a length, then
// identifier/value pairs) to most variable headers.
//
// The parser reads one whole message and keeps byte ranges of its strings; text is made from
// them only when an event is written. The password of a CONNECT is never read: only its
// presence is kept.

public enum MQTT {
    public typealias Range = (start: Int, end: Int)
    public static let topicCapacity = 8

    public static func typeName(_ type: UInt8) -> String {
        switch type {
        case 1: "CONNECT"
        case 2: "CONNACK"
        case 3: "PUBLISH"
        case 4: "PUBACK"
        case 5: "PUBREC"
        case 6: "PUBREL"
        case 7: "PUBCOMP"
        case 8: "SUBSCRIBE"
        case 9: "SUBACK"
        case 10: "UNSUBSCRIBE"
        case 11: "UNSUBACK"
        case 12: "PINGREQ"
        case 13: "PINGRESP"
        case 14: "DISCONNECT"
        case 15: "AUTH"
        default: "RESERVED"
        }
    }

    public enum HeaderResult: Equatable, Sendable {
        /// The message is `headerLength + remainingLength` bytes long.
        case header(headerLength: Int, remainingLength: Int)
        case needMore
        /// A fifth length byte: not MQTT (or broken).
        case invalidRemainingLength
    }

    public static func fixedHeader(_ bytes: RawSpan) -> HeaderResult {
        var value = 0
        var multiplier = 1
        for index in 1...4 {
            guard index < bytes.byteCount else { return .needMore }
            let byte = bytes.u8(index)
            value += Int(byte & 0x7F) * multiplier
            if byte & 0x80 == 0 { return .header(headerLength: index + 1, remainingLength: value) }
            multiplier *= 128
        }
        return .invalidRemainingLength
    }

    /// Detection: a CONNECT naming the protocol ("MQTT" or "MQIsdp").
    public static func probe(_ bytes: RawSpan) -> ProbeVerdict {
        guard bytes.byteCount >= 1 else { return .needMore }
        guard bytes.u8(0) == 0x10 else { return .no }
        guard case .header(let headerLength, _) = fixedHeader(bytes) else {
            return fixedHeader(bytes) == .needMore ? .needMore : .no
        }
        guard bytes.byteCount >= headerLength + 8 else { return .needMore }
        let nameLength = Int(bytes.u16be(headerLength))
        let name = bytes.extracting((headerLength + 2)..<min(bytes.byteCount, headerLength + 2 + nameLength))
        if nameLength == 4 && name.byteCount == 4 && name.u32be(0) == 0x4D51_5454 { return .match }  // "MQTT"
        if nameLength == 6 && name.byteCount == 6 && name.u32be(0) == 0x4D51_4973 && name.u16be(4) == 0x6470 { return .match }  // "MQIsdp"
        return .no
    }

    public struct Anomalies: OptionSet, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let truncated = Anomalies(rawValue: 1 << 0)
        public static let invalidProperties = Anomalies(rawValue: 1 << 1)
        public static let invalidFlags = Anomalies(rawValue: 1 << 2)
        public static let unknownProtocol = Anomalies(rawValue: 1 << 3)

        public var eventNames: [String] {
            var names: [String] = []
            if contains(.truncated) { names.append("mqtt.truncated_message") }
            if contains(.invalidProperties) { names.append("mqtt.invalid_properties") }
            if contains(.invalidFlags) { names.append("mqtt.invalid_flags") }
            if contains(.unknownProtocol) { names.append("mqtt.unknown_protocol") }
            return names
        }
    }

    public struct Message: Sendable {
        public var type: UInt8 = 0
        public var flags: UInt8 = 0
        public var remainingLength = 0
        /// CONNECT
        public var protocolName: Range? = nil
        public var protocolLevel: UInt8 = 0
        public var connectFlags: UInt8 = 0
        public var keepAlive: UInt16 = 0
        public var clientID: Range? = nil
        public var willTopic: Range? = nil
        public var username: Range? = nil
        public var passwordPresent = false
        /// CONNACK, PUBACK..., SUBACK (first), DISCONNECT, AUTH
        public var sessionPresent = false
        public var reasonCode: UInt8? = nil
        /// PUBLISH
        public var topic: Range? = nil
        public var packetID: UInt16? = nil
        public var payload: Range? = nil
        /// SUBSCRIBE / UNSUBSCRIBE filters (with requested QoS), SUBACK / UNSUBACK codes.
        public var topics = InlineArray<8, (start: Int, end: Int, qos: UInt8)>(repeating: (0, 0, 0))
        public var topicCount = 0
        public var codes = InlineArray<8, UInt8>(repeating: 0)
        public var codeCount = 0
        /// MQTT 5 properties seen (all sections), and the user properties among them.
        public var propertyCount = 0
        public var userPropertyCount = 0
        public var anomalies = Anomalies()
        public init() {}

        public var qos: UInt8 { (flags >> 1) & 0x03 }
        public var retain: Bool { flags & 0x01 != 0 }
        public var dup: Bool { flags & 0x08 != 0 }
        public var keptTopicCount: Int { min(topicCount, MQTT.topicCapacity) }
        public var keptCodeCount: Int { min(codeCount, MQTT.topicCapacity) }
    }

    /// Parses a whole message; `level` is the protocol level from the flow's CONNECT (4 if unknown).
    public static func parse(_ message: RawSpan, level: UInt8) -> Message {
        var result = Message()
        guard message.byteCount >= 2, case .header(let headerLength, let remaining) = fixedHeader(message) else {
            result.anomalies.insert(.truncated)
            return result
        }
        result.type = message.u8(0) >> 4
        result.flags = message.u8(0) & 0x0F
        result.remainingLength = remaining
        let end = min(message.byteCount, headerLength + remaining)
        if end < headerLength + remaining { result.anomalies.insert(.truncated) }
        var reader = Reader(offset: headerLength, end: end)
        let v5 = level >= 5
        switch result.type {
        case 1:
            guard let name = reader.string(message), let levelByte = reader.u8(message), let flags = reader.u8(message), let keepAlive = reader.u16(message) else { break }
            result.protocolName = name
            let nameLength = name.end - name.start
            let isMQTT = nameLength == 4 && message.u32be(name.start) == 0x4D51_5454
            let isMQIsdp = nameLength == 6 && message.u32be(name.start) == 0x4D51_4973 && message.u16be(name.start + 4) == 0x6470
            if !isMQTT && !isMQIsdp { result.anomalies.insert(.unknownProtocol) }
            result.protocolLevel = levelByte
            result.connectFlags = flags
            result.keepAlive = keepAlive
            let isV5 = levelByte >= 5
            if isV5 { guard reader.properties(message, into: &result) else { break } }
            guard let client = reader.string(message) else { break }
            result.clientID = client
            if flags & 0x04 != 0 {
                if isV5 { guard reader.properties(message, into: &result) else { break } }
                guard let willTopic = reader.string(message), reader.binary(message) != nil else { break }
                result.willTopic = willTopic
            }
            if flags & 0x80 != 0 { guard let user = reader.string(message) else { break }; result.username = user }
            // The password is skipped, never read: only its presence is kept.
            if flags & 0x40 != 0 { guard reader.binary(message) != nil else { break }; result.passwordPresent = true }
            return result
        case 2:
            guard let flags = reader.u8(message), let code = reader.u8(message) else { break }
            result.sessionPresent = flags & 0x01 != 0
            result.reasonCode = code
            if v5 && reader.remaining > 0 { guard reader.properties(message, into: &result) else { break } }
            return result
        case 3:
            if result.qos == 3 { result.anomalies.insert(.invalidFlags) }
            guard let topic = reader.string(message) else { break }
            result.topic = topic
            if result.qos > 0 { guard let id = reader.u16(message) else { break }; result.packetID = id }
            if v5 { guard reader.properties(message, into: &result) else { break } }
            result.payload = (reader.offset, reader.end)
            return result
        case 4, 5, 6, 7:
            guard let id = reader.u16(message) else { break }
            result.packetID = id
            if v5 && reader.remaining > 0 {
                result.reasonCode = reader.u8(message)
                if reader.remaining > 0 { guard reader.properties(message, into: &result) else { break } }
            }
            return result
        case 8, 10:
            guard let id = reader.u16(message) else { break }
            result.packetID = id
            if v5 { guard reader.properties(message, into: &result) else { break } }
            while reader.remaining > 0 {
                guard let filter = reader.string(message) else { result.anomalies.insert(.truncated); return result }
                var qos: UInt8 = 0
                if result.type == 8 { guard let options = reader.u8(message) else { result.anomalies.insert(.truncated); return result }; qos = options & 0x03 }
                if result.topicCount < topicCapacity { result.topics[result.topicCount] = (filter.start, filter.end, qos) }
                result.topicCount += 1
            }
            return result
        case 9, 11:
            guard let id = reader.u16(message) else { break }
            result.packetID = id
            if v5 { guard reader.properties(message, into: &result) else { break } }
            while let code = reader.u8(message) {
                if result.codeCount < topicCapacity { result.codes[result.codeCount] = code }
                result.codeCount += 1
            }
            return result
        case 12, 13:
            return result
        case 14, 15:
            if reader.remaining > 0 {
                result.reasonCode = reader.u8(message)
                if v5 && reader.remaining > 0 { guard reader.properties(message, into: &result) else { break } }
            }
            return result
        default:
            result.anomalies.insert(.invalidFlags)
            return result
        }
        result.anomalies.insert(.truncated)
        return result
    }

    /// A bounds-checked cursor over one message.
    struct Reader {
        var offset: Int
        let end: Int

        var remaining: Int { end - offset }

        mutating func u8(_ bytes: RawSpan) -> UInt8? {
            guard offset < end else { return nil }
            defer { offset += 1 }
            return bytes.u8(offset)
        }

        mutating func u16(_ bytes: RawSpan) -> UInt16? {
            guard offset + 2 <= end else { return nil }
            defer { offset += 2 }
            return bytes.u16be(offset)
        }

        mutating func u32(_ bytes: RawSpan) -> UInt32? {
            guard offset + 4 <= end else { return nil }
            defer { offset += 4 }
            return bytes.u32be(offset)
        }

        mutating func varint(_ bytes: RawSpan) -> Int? {
            var value = 0
            var multiplier = 1
            for _ in 0..<4 {
                guard let byte = u8(bytes) else { return nil }
                value += Int(byte & 0x7F) * multiplier
                if byte & 0x80 == 0 { return value }
                multiplier *= 128
            }
            return nil
        }

        /// A 2-byte length and that many bytes (UTF-8 strings and binary data alike).
        mutating func string(_ bytes: RawSpan) -> MQTT.Range? {
            guard let length = u16(bytes), offset + Int(length) <= end else { return nil }
            defer { offset += Int(length) }
            return (offset, offset + Int(length))
        }

        mutating func binary(_ bytes: RawSpan) -> MQTT.Range? { string(bytes) }

        /// MQTT 5 properties: walked and counted; an unknown identifier or a value past the end
        /// is `invalidProperties` (and the message is not read further).
        mutating func properties(_ bytes: RawSpan, into message: inout MQTT.Message) -> Bool {
            guard let length = varint(bytes), offset + length <= end else {
                message.anomalies.insert(.invalidProperties)
                return false
            }
            let stop = offset + length
            var inner = Reader(offset: offset, end: stop)
            while inner.remaining > 0 {
                guard let id = inner.varint(bytes) else { message.anomalies.insert(.invalidProperties); return false }
                let ok: Bool
                switch id {
                case 0x01, 0x17, 0x19, 0x24, 0x25, 0x28, 0x29, 0x2A: ok = inner.u8(bytes) != nil
                case 0x13, 0x21, 0x22, 0x23: ok = inner.u16(bytes) != nil
                case 0x02, 0x11, 0x18, 0x27: ok = inner.u32(bytes) != nil
                case 0x0B: ok = inner.varint(bytes) != nil
                case 0x03, 0x08, 0x12, 0x15, 0x1A, 0x1C, 0x1F: ok = inner.string(bytes) != nil
                case 0x09, 0x16: ok = inner.binary(bytes) != nil
                case 0x26:
                    ok = inner.string(bytes) != nil && inner.string(bytes) != nil
                    message.userPropertyCount += 1
                default: ok = false
                }
                guard ok else { message.anomalies.insert(.invalidProperties); return false }
                message.propertyCount += 1
            }
            offset = stop
            return true
        }
    }
}
