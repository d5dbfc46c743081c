/// A streaming JSON writer with a fixed field order, appending into one reused byte buffer.
///
/// It writes exactly what it is told, in that order, so output is deterministic. Strings are
/// escaped per RFC 8259 (quote, backslash, control characters); text that came from the wire
/// as bytes goes through `string(bytes:)`, which replaces invalid UTF-8 with U+FFFD, so a line
/// is always valid UTF-8. Absent values are the caller's to omit: there is no `null` writer.
public struct JSONLineBuilder {
    public private(set) var bytes: [UInt8] = []
    /// Whether the container at each depth already holds a member (needs a comma).
    private var hasMember: [Bool] = []

    public init(capacity: Int = 4096) {
        bytes.reserveCapacity(capacity)
        hasMember.reserveCapacity(16)
    }

    public mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        hasMember.removeAll(keepingCapacity: true)
    }

    public mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        hasMember.append(false)
    }

    public mutating func beginObject(_ key: StaticString) {
        self.key(key)
        bytes.append(UInt8(ascii: "{"))
        hasMember.append(false)
    }

    public mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        hasMember.removeLast()
    }

    public mutating func beginArray(_ key: StaticString) {
        self.key(key)
        bytes.append(UInt8(ascii: "["))
        hasMember.append(false)
    }

    public mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        hasMember.removeLast()
    }

    /// Ends the line: the top-level object must be closed.
    public mutating func newline() {
        bytes.append(UInt8(ascii: "\n"))
    }

    public mutating func field(_ key: StaticString, _ value: String) {
        self.key(key)
        appendString(value)
    }

    public mutating func field(_ key: StaticString, _ value: Int) {
        self.key(key)
        appendInteger(Int64(value))
    }

    public mutating func field(_ key: StaticString, _ value: Int64) {
        self.key(key)
        appendInteger(value)
    }

    public mutating func field(_ key: StaticString, _ value: UInt64) {
        self.key(key)
        appendUnsigned(value)
    }

    public mutating func field<T: FixedWidthInteger & UnsignedInteger>(_ key: StaticString, _ value: T) {
        self.key(key)
        appendUnsigned(UInt64(value))
    }

    public mutating func field(_ key: StaticString, _ value: Bool) {
        self.key(key)
        appendRaw(value ? "true" : "false")
    }

    /// A number with a fixed number of decimals (no exponent, locale-free).
    public mutating func field(_ key: StaticString, decimal value: Double, places: Int) {
        self.key(key)
        var scale: Double = 1
        for _ in 0..<places { scale *= 10 }
        let negative = value < 0
        let scaled = (abs(value) * scale).rounded()
        let whole = UInt64(scaled / scale)
        let fraction = UInt64(scaled - Double(whole) * scale)
        if negative && scaled != 0 { bytes.append(UInt8(ascii: "-")) }
        appendUnsigned(whole)
        if places > 0 {
            bytes.append(UInt8(ascii: "."))
            var digits = Array(String(fraction).utf8)
            while digits.count < places { digits.insert(UInt8(ascii: "0"), at: 0) }
            bytes.append(contentsOf: digits)
        }
    }

    /// Wire bytes as text: invalid UTF-8 becomes U+FFFD.
    public mutating func field(_ key: StaticString, bytes value: [UInt8]) {
        self.key(key)
        appendString(String(decoding: value, as: UTF8.self))
    }

    /// An array element.
    public mutating func element(_ value: String) {
        separate()
        appendString(value)
    }

    public mutating func element<T: FixedWidthInteger>(_ value: T) {
        separate()
        if T.isSigned { appendInteger(Int64(value)) } else { appendUnsigned(UInt64(value)) }
    }

    // MARK: - Internals

    private mutating func separate() {
        if let last = hasMember.last {
            if last { bytes.append(UInt8(ascii: ",")) }
            hasMember[hasMember.count - 1] = true
        }
    }

    private mutating func key(_ key: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    private mutating func appendRaw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    private mutating func appendUnsigned(_ value: UInt64) {
        if value == 0 { bytes.append(UInt8(ascii: "0")); return }
        var v = value
        // Digits are produced last-first into a stack buffer (20 digits hold any UInt64).
        var scratch: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                      UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &scratch) { buffer in
            while v > 0 {
                buffer[count] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
                count += 1
            }
            for i in stride(from: count - 1, through: 0, by: -1) { bytes.append(buffer[i]) }
        }
    }

    private mutating func appendInteger(_ value: Int64) {
        if value < 0 {
            bytes.append(UInt8(ascii: "-"))
            appendUnsigned(UInt64(bitPattern: 0 &- value))
        } else {
            appendUnsigned(UInt64(value))
        }
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    private mutating func appendString(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            for byte in utf8 {
                switch byte {
                case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\\")); bytes.append(byte)
                case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\")); bytes.append(byte)
                case 0x0A: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "n"))
                case 0x0D: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "r"))
                case 0x09: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "t"))
                case 0x00..<0x20, 0x7F:
                    bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                              JSONLineBuilder.hex[Int(byte >> 4)], JSONLineBuilder.hex[Int(byte & 0xF)]])
                default: bytes.append(byte)
                }
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

/// EVE timestamps: `YYYY-MM-DDTHH:MM:SS.ffffff+0000` (UTC, microseconds, offset without colon).
public enum EveTimestamp {
    public static func format(microseconds: Int64) -> String {
        var seconds = microseconds / 1_000_000
        var micros = microseconds % 1_000_000
        if micros < 0 { micros += 1_000_000; seconds -= 1 }
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 { secondOfDay += 86_400; days -= 1 }
        // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        var year = yearOfEra + era * 400
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        if month <= 2 { year += 1 }
        func pad(_ v: Int64, _ width: Int) -> String {
            let s = String(v)
            return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(micros, 6))+0000"
    }
}
