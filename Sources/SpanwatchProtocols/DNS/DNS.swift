import SpanwatchWire
import SpanwatchFlow
import SpanwatchJSON
// DNS messages: RFC 1035 §4 (header, questions, resource records, name compression), RFC 6891
// (EDNS OPT), RFC 3596 (AAAA), RFC 2782 (SRV); DNS over TCP (RFC 1035 §4.2.2, RFC 7766) prefixes
// each message with a 2-byte length. mDNS (RFC 6762) and LLMNR (RFC 4795) share the format.
//
// Header (12 bytes): ID | flags (QR, opcode, AA, TC, RD, RA, Z, AD, CD, rcode) | QDCOUNT | ANCOUNT
// | NSCOUNT | ARCOUNT. Names are labels (length byte + bytes) ending in a zero byte, or ending
// in a 2-byte pointer (0b11 + 14-bit offset) to an earlier name.
//
// The parser validates every name (label lengths, total length 255, pointer jumps bounded, so a
// pointer loop ends as `nameLoop`) and records offsets; names are turned into text only when an
// event is written (`DNS.name(in:at:)`), so parsing allocates nothing.

public enum DNS {
    public static let headerLength = 12
    public static let maximumNameLength = 255
    /// Pointer jumps followed in one name: more is a loop (or an attack).
    public static let maximumPointerJumps = 32
    public static let questionCapacity = 4
    public static let recordCapacity = 24

    public struct Question: Sendable {
        public var nameOffset = 0
        public var type: UInt16 = 0
        public var klass: UInt16 = 0
        public init() {}
    }

    public struct Record: Sendable {
        public enum Section: UInt8, Sendable { case answer, authority, additional }
        public var section = Section.answer
        public var nameOffset = 0
        public var type: UInt16 = 0
        public var klass: UInt16 = 0
        public var ttl: UInt32 = 0
        public var dataOffset = 0
        public var dataLength = 0
        public init() {}
    }

    public struct Anomalies: OptionSet, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let truncatedHeader = Anomalies(rawValue: 1 << 0)
        public static let truncatedRecord = Anomalies(rawValue: 1 << 1)
        public static let invalidLabel = Anomalies(rawValue: 1 << 2)
        public static let nameLoop = Anomalies(rawValue: 1 << 3)
        public static let nameTooLong = Anomalies(rawValue: 1 << 4)
        public static let trailingBytes = Anomalies(rawValue: 1 << 5)

        public var eventNames: [String] {
            var names: [String] = []
            if contains(.truncatedHeader) { names.append("dns.truncated_header") }
            if contains(.truncatedRecord) { names.append("dns.truncated_record") }
            if contains(.invalidLabel) { names.append("dns.invalid_label") }
            if contains(.nameLoop) { names.append("dns.name_pointer_loop") }
            if contains(.nameTooLong) { names.append("dns.name_too_long") }
            if contains(.trailingBytes) { names.append("dns.trailing_bytes") }
            return names
        }
    }

    /// A parsed message: header fields, and the offsets of (capped) questions and records.
    public struct Message: Sendable {
        public var id: UInt16 = 0
        public var flags: UInt16 = 0
        public var questionCount: UInt16 = 0
        public var answerCount: UInt16 = 0
        public var authorityCount: UInt16 = 0
        public var additionalCount: UInt16 = 0
        public var questions = InlineArray<4, Question>(repeating: Question())
        public var questionsParsed = 0
        public var records = InlineArray<24, Record>(repeating: Record())
        public var recordsParsed = 0
        /// EDNS (an OPT record in the additional section).
        public var hasEDNS = false
        public var ednsUDPSize: UInt16 = 0
        public var ednsExtendedRcode: UInt8 = 0
        public var ednsVersion: UInt8 = 0
        public var ednsDNSSECOK = false
        public var anomalies = Anomalies()
        public var length = 0
        public init() {}

        public var isResponse: Bool { flags & 0x8000 != 0 }
        public var opcode: UInt8 { UInt8((flags >> 11) & 0x0F) }
        public var authoritative: Bool { flags & 0x0400 != 0 }
        public var truncated: Bool { flags & 0x0200 != 0 }
        public var recursionDesired: Bool { flags & 0x0100 != 0 }
        public var recursionAvailable: Bool { flags & 0x0080 != 0 }
        public var authenticData: Bool { flags & 0x0020 != 0 }
        public var checkingDisabled: Bool { flags & 0x0010 != 0 }
        /// The header's 4-bit rcode, extended by EDNS when present.
        public var rcode: UInt16 { UInt16(flags & 0x000F) | UInt16(ednsExtendedRcode) << 4 }
        public var keptQuestionCount: Int { min(questionsParsed, DNS.questionCapacity) }
        public var keptRecordCount: Int { min(recordsParsed, DNS.recordCapacity) }
    }

    /// Frames DNS over TCP: a 2-byte length, then the message.
    public enum OverTCP: StreamFramer {
        public static let maximumFrameLength = 65537

        public static func probeFrame(_ bytes: RawSpan) -> FrameProbe {
            guard bytes.byteCount >= 2 else { return .needMore(totalLength: 2) }
            let length = Int(bytes.u16be(0))
            guard length >= DNS.headerLength else { return .invalid(anomaly: "dns.tcp_length_too_short") }
            return bytes.byteCount >= 2 + length ? .complete(length: 2 + length) : .needMore(totalLength: 2 + length)
        }
    }

    /// Detection: a plausible header (opcode 0-6, counts that fit) and a valid first question.
    public static func probe(_ message: RawSpan) -> ProbeVerdict {
        guard message.byteCount >= headerLength else { return .needMore }
        let flags = message.u16be(2)
        guard (flags >> 11) & 0x0F <= 6 else { return .no }
        let questions = Int(message.u16be(4))
        let records = Int(message.u16be(6)) + Int(message.u16be(8)) + Int(message.u16be(10))
        guard questions <= 64, records <= 512, questions + records > 0 else { return .no }
        if questions > 0 {
            guard let end = skipName(message, at: headerLength).end, end + 4 <= message.byteCount else { return .no }
        }
        return .match
    }

    /// Detection of DNS over TCP: the length prefix, then a plausible message.
    public static func probeOverTCP(_ bytes: RawSpan) -> ProbeVerdict {
        guard bytes.byteCount >= 2 + headerLength else { return .needMore }
        let length = Int(bytes.u16be(0))
        guard length >= headerLength else { return .no }
        return probe(bytes.extracting(2..<min(bytes.byteCount, 2 + length)))
    }

    /// Validates the name at `offset`; `end` is the offset after it in the message (after the
    /// first pointer, if any), or nil with the reason.
    public static func skipName(_ message: RawSpan, at offset: Int) -> (end: Int?, anomaly: Anomalies) {
        var cursor = offset
        var end: Int? = nil
        var jumps = 0
        var length = 0
        while true {
            guard cursor < message.byteCount else { return (nil, .truncatedRecord) }
            let label = message.u8(cursor)
            switch label & 0xC0 {
            case 0x00:
                if label == 0 {
                    return (end ?? cursor + 1, [])
                }
                length += Int(label) + 1
                guard length <= maximumNameLength else { return (nil, .nameTooLong) }
                guard cursor + 1 + Int(label) <= message.byteCount else { return (nil, .truncatedRecord) }
                cursor += 1 + Int(label)
            case 0xC0:
                guard cursor + 2 <= message.byteCount else { return (nil, .truncatedRecord) }
                if end == nil { end = cursor + 2 }
                jumps += 1
                guard jumps <= maximumPointerJumps else { return (nil, .nameLoop) }
                let target = Int(message.u16be(cursor) & 0x3FFF)
                // A pointer must point backwards (RFC 1035 §4.1.4: "a prior occurrence").
                guard target < cursor else { return (nil, .nameLoop) }
                cursor = target
            default:
                return (nil, .invalidLabel)  // 0x40 / 0x80: extended and reserved label types
            }
        }
    }

    public static func parse(_ message: RawSpan) -> Message {
        var result = Message()
        result.length = message.byteCount
        guard message.byteCount >= headerLength else {
            result.anomalies.insert(.truncatedHeader)
            return result
        }
        result.id = message.u16be(0)
        result.flags = message.u16be(2)
        result.questionCount = message.u16be(4)
        result.answerCount = message.u16be(6)
        result.authorityCount = message.u16be(8)
        result.additionalCount = message.u16be(10)
        var offset = headerLength
        for _ in 0..<Int(result.questionCount) {
            let (end, anomaly) = skipName(message, at: offset)
            guard let end, end + 4 <= message.byteCount else {
                result.anomalies.insert(anomaly.isEmpty ? .truncatedRecord : anomaly)
                return result
            }
            var question = Question()
            question.nameOffset = offset
            question.type = message.u16be(end)
            question.klass = message.u16be(end + 2)
            if result.questionsParsed < questionCapacity { result.questions[result.questionsParsed] = question }
            result.questionsParsed += 1
            offset = end + 4
        }
        let counts = (Int(result.answerCount), Int(result.authorityCount), Int(result.additionalCount))
        for index in 0..<(counts.0 + counts.1 + counts.2) {
            let section: Record.Section = index < counts.0 ? .answer : index < counts.0 + counts.1 ? .authority : .additional
            let (end, anomaly) = skipName(message, at: offset)
            guard let end, end + 10 <= message.byteCount else {
                result.anomalies.insert(anomaly.isEmpty ? .truncatedRecord : anomaly)
                return result
            }
            var record = Record()
            record.section = section
            record.nameOffset = offset
            record.type = message.u16be(end)
            record.klass = message.u16be(end + 2)
            record.ttl = message.u32be(end + 4)
            record.dataLength = Int(message.u16be(end + 8))
            record.dataOffset = end + 10
            guard record.dataOffset + record.dataLength <= message.byteCount else {
                result.anomalies.insert(.truncatedRecord)
                return result
            }
            if record.type == 41 {
                // OPT: the class is the UDP payload size, the TTL the extended rcode, version, DO bit.
                result.hasEDNS = true
                result.ednsUDPSize = record.klass
                result.ednsExtendedRcode = UInt8(record.ttl >> 24)
                result.ednsVersion = UInt8((record.ttl >> 16) & 0xFF)
                result.ednsDNSSECOK = record.ttl & 0x8000 != 0
            }
            if result.recordsParsed < recordCapacity { result.records[result.recordsParsed] = record }
            result.recordsParsed += 1
            offset = record.dataOffset + record.dataLength
        }
        if offset < message.byteCount { result.anomalies.insert(.trailingBytes) }
        return result
    }

    /// The text of the name at `offset` (dotted, lower-case kept as sent, "" for the root),
    /// appended to `out`; bytes outside printable ASCII are escaped as \DDD (RFC 4343 style).
    /// Returns false when the name is invalid (the validation of `skipName` applies).
    @discardableResult
    public static func appendName(_ message: RawSpan, at offset: Int, to out: inout [UInt8]) -> Bool {
        var cursor = offset
        var jumps = 0
        var length = 0
        var first = true
        while cursor < message.byteCount {
            let label = message.u8(cursor)
            if label == 0 { return true }
            if label & 0xC0 == 0xC0 {
                guard cursor + 2 <= message.byteCount, jumps < maximumPointerJumps else { return false }
                let target = Int(message.u16be(cursor) & 0x3FFF)
                guard target < cursor else { return false }
                jumps += 1
                cursor = target
                continue
            }
            guard label & 0xC0 == 0, cursor + 1 + Int(label) <= message.byteCount else { return false }
            length += Int(label) + 1
            guard length <= maximumNameLength else { return false }
            if !first { out.append(UInt8(ascii: ".")) }
            first = false
            for index in (cursor + 1)..<(cursor + 1 + Int(label)) {
                let byte = message.u8(index)
                if byte > 0x20 && byte < 0x7F && byte != UInt8(ascii: ".") && byte != UInt8(ascii: "\\") {
                    out.append(byte)
                } else {
                    out.append(UInt8(ascii: "\\"))
                    out.append(UInt8(ascii: "0") + byte / 100)
                    out.append(UInt8(ascii: "0") + byte / 10 % 10)
                    out.append(UInt8(ascii: "0") + byte % 10)
                }
            }
            cursor += 1 + Int(label)
        }
        return false
    }

    /// The record's data as text, appended to `out`: addresses, names, MX/SRV/SOA fields, TXT
    /// strings; other types as lower-case hex. False when the data is malformed.
    @discardableResult
    public static func appendRData(_ message: RawSpan, record: Record, to out: inout [UInt8]) -> Bool {
        let start = record.dataOffset, length = record.dataLength
        let data = message.extracting(start..<(start + length))
        func appendDecimal(_ value: UInt32) { out.append(contentsOf: String(value).utf8) }
        switch record.type {
        case 1:
            guard length == 4 else { return false }
            IPAddress(ipv4: data.u32be(0)).write { out.append(contentsOf: $0) }
        case 28:
            guard length == 16 else { return false }
            IPAddress(ipv6High: data.u64be(0), low: data.u64be(8)).write { out.append(contentsOf: $0) }
        case 2, 5, 12:
            return appendName(message, at: start, to: &out)
        case 15:
            guard length >= 3 else { return false }
            return appendName(message, at: start + 2, to: &out)
        case 33:
            guard length >= 7 else { return false }
            appendDecimal(UInt32(data.u16be(0))); out.append(0x20)
            appendDecimal(UInt32(data.u16be(2))); out.append(0x20)
            appendDecimal(UInt32(data.u16be(4))); out.append(0x20)
            return appendName(message, at: start + 6, to: &out)
        case 6:
            guard let mnameEnd = skipName(message, at: start).end, let rnameEnd = skipName(message, at: mnameEnd).end,
                  rnameEnd + 20 <= start + length else { return false }
            appendName(message, at: start, to: &out); out.append(0x20)
            appendName(message, at: mnameEnd, to: &out)
            for field in 0..<5 { out.append(0x20); appendDecimal(message.u32be(rnameEnd + 4 * field)) }
        case 16:
            var cursor = 0
            while cursor < length {
                let size = Int(data.u8(cursor))
                guard cursor + 1 + size <= length else { return false }
                for index in (cursor + 1)..<(cursor + 1 + size) { out.append(data.u8(index)) }
                cursor += 1 + size
            }
        default:
            let digits: StaticString = "0123456789abcdef"
            for index in 0..<length {
                let byte = data.u8(index)
                out.append(digits.utf8Start[Int(byte >> 4)])
                out.append(digits.utf8Start[Int(byte & 0xF)])
            }
        }
        return true
    }

    public static func typeName(_ type: UInt16) -> String {
        switch type {
        case 1: "A"
        case 2: "NS"
        case 5: "CNAME"
        case 6: "SOA"
        case 12: "PTR"
        case 13: "HINFO"
        case 15: "MX"
        case 16: "TXT"
        case 28: "AAAA"
        case 33: "SRV"
        case 35: "NAPTR"
        case 41: "OPT"
        case 43: "DS"
        case 46: "RRSIG"
        case 47: "NSEC"
        case 48: "DNSKEY"
        case 50: "NSEC3"
        case 64: "SVCB"
        case 65: "HTTPS"
        case 249: "TKEY"
        case 250: "TSIG"
        case 251: "IXFR"
        case 252: "AXFR"
        case 255: "ANY"
        case 257: "CAA"
        default: "TYPE\(type)"
        }
    }

    public static func rcodeName(_ rcode: UInt16) -> String {
        switch rcode {
        case 0: "NOERROR"
        case 1: "FORMERR"
        case 2: "SERVFAIL"
        case 3: "NXDOMAIN"
        case 4: "NOTIMP"
        case 5: "REFUSED"
        case 6: "YXDOMAIN"
        case 7: "YXRRSET"
        case 8: "NXRRSET"
        case 9: "NOTAUTH"
        case 10: "NOTZONE"
        case 16: "BADVERS"
        default: "RCODE\(rcode)"
        }
    }
}
