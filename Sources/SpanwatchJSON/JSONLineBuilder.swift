import SpanwatchWire

/// A streaming JSON writer with a fixed field order, appending into one reused byte buffer.
///
/// It writes exactly what it is told, in that order, so output is deterministic. Strings are
/// escaped per RFC 8259 (quote, backslash, control characters); text that came from the wire
/// as bytes goes through `field(_:bytes:)`, which replaces invalid UTF-8 with U+FFFD, so a line
/// is always valid UTF-8. Absent values are the caller's to omit: there is no `null` writer.
///
/// The buffer is a plain pointer grown by doubling, so appending a byte is a store and a
/// bounds check; several lines may accumulate before `removeAll` (the EVE writer flushes a
/// whole block at once). Addresses and timestamps are written digit by digit, never through
/// a `String`.
public final class JSONLineBuilder {
    private var storage: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    public private(set) var count = 0
    /// Depth of open containers, and one bit per depth: whether that container has a member.
    private var depth = 0
    private var hasMemberBits: UInt64 = 0

    public init(capacity: Int = 4096) {
        self.capacity = max(capacity, 64)
        storage = .allocate(capacity: self.capacity)
    }

    deinit { storage.deallocate() }

    /// A copy of the bytes written so far (tests and small callers).
    public var bytes: [UInt8] { Array(UnsafeBufferPointer(start: storage, count: count)) }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: storage, count: count))
    }

    /// Forgets everything written (keeps the memory).
    public func removeAll() {
        count = 0
        depth = 0
        hasMemberBits = 0
    }

    public func reset() { removeAll() }

    public func beginObject() {
        separate()
        append(UInt8(ascii: "{"))
        push()
    }

    public func beginObject(_ key: StaticString) {
        self.key(key)
        append(UInt8(ascii: "{"))
        push()
    }

    /// An object under a key known only at run time (an interface or output name), escaped.
    public func beginObject(named key: String) {
        separate()
        appendString(key)
        append(UInt8(ascii: ":"))
        append(UInt8(ascii: "{"))
        push()
    }

    public func endObject() {
        append(UInt8(ascii: "}"))
        depth -= 1
    }

    public func beginArray(_ key: StaticString) {
        self.key(key)
        append(UInt8(ascii: "["))
        push()
    }

    public func endArray() {
        append(UInt8(ascii: "]"))
        depth -= 1
    }

    /// Ends the line: the top-level object must be closed.
    public func newline() {
        append(UInt8(ascii: "\n"))
        depth = 0
        hasMemberBits = 0
    }

    public func field(_ key: StaticString, _ value: String) {
        self.key(key)
        appendString(value)
    }

    public func field(_ key: StaticString, _ value: StaticString) {
        self.key(key)
        append(UInt8(ascii: "\""))
        appendRaw(value)
        append(UInt8(ascii: "\""))
    }

    public func field(_ key: StaticString, _ value: Int) {
        self.key(key)
        appendInteger(Int64(value))
    }

    public func field(_ key: StaticString, _ value: Int64) {
        self.key(key)
        appendInteger(value)
    }

    public func field(_ key: StaticString, _ value: UInt64) {
        self.key(key)
        appendUnsigned(value)
    }

    public func field<T: FixedWidthInteger & UnsignedInteger>(_ key: StaticString, _ value: T) {
        self.key(key)
        appendUnsigned(UInt64(value))
    }

    public func field(_ key: StaticString, _ value: Bool) {
        self.key(key)
        appendRaw(value ? "true" : "false")
    }

    /// An address as text: dotted quad, or RFC 5952 IPv6.
    public func field(_ key: StaticString, ip value: IPAddress) {
        self.key(key)
        append(UInt8(ascii: "\""))
        value.write { reserve($0.count); for byte in $0 { storage[count] = byte; count += 1 } }
        append(UInt8(ascii: "\""))
    }

    /// `aa:bb:cc:dd:ee:ff`.
    public func field(_ key: StaticString, mac value: MACAddress) {
        self.key(key)
        reserve(19)
        storage[count] = UInt8(ascii: "\""); count += 1
        for index in 0..<6 {
            if index > 0 { storage[count] = UInt8(ascii: ":"); count += 1 }
            let octet = UInt8(truncatingIfNeeded: value.raw >> (40 - 8 * UInt64(index)))
            storage[count] = JSONLineBuilder.hexDigit(octet >> 4)
            storage[count + 1] = JSONLineBuilder.hexDigit(octet & 0xF)
            count += 2
        }
        storage[count] = UInt8(ascii: "\""); count += 1
    }

    /// The last second rendered and its 20-byte `YYYY-MM-DDTHH:MM:SS.` text: events come in
    /// bursts within a second, so only the microseconds are usually new.
    private var cachedSecond: Int64 = .min
    private var cachedSecondText = InlineArray<20, UInt8>(repeating: 0)

    /// An EVE timestamp, `YYYY-MM-DDTHH:MM:SS.ffffff+0000`.
    public func field(_ key: StaticString, timestamp microseconds: Int64) {
        self.key(key)
        reserve(33)
        storage[count] = UInt8(ascii: "\"")
        count += 1
        var second = microseconds / 1_000_000
        var micros = microseconds % 1_000_000
        if micros < 0 { micros += 1_000_000; second -= 1 }
        if second != cachedSecond {
            EveTimestamp.write(microseconds: second * 1_000_000) { text in
                for index in 0..<20 { cachedSecondText[index] = text[index] }
            }
            cachedSecond = second
        }
        for index in 0..<20 { storage[count + index] = cachedSecondText[index] }
        var value = micros
        for index in stride(from: 25, through: 20, by: -1) {
            storage[count + index] = UInt8(ascii: "0") + UInt8(value % 10)
            value /= 10
        }
        storage[count + 26] = UInt8(ascii: "+")
        storage[count + 27] = UInt8(ascii: "0"); storage[count + 28] = UInt8(ascii: "0")
        storage[count + 29] = UInt8(ascii: "0"); storage[count + 30] = UInt8(ascii: "0")
        storage[count + 31] = UInt8(ascii: "\"")
        count += 32
    }

    /// Appends whole lines rendered elsewhere (the EVE writer copies one line to each output).
    public func append(_ rendered: UnsafeRawBufferPointer) {
        guard let source = rendered.baseAddress, rendered.count > 0 else { return }
        reserve(rendered.count)
        UnsafeMutableRawPointer(storage + count).copyMemory(from: source, byteCount: rendered.count)
        count += rendered.count
    }

    /// Appends members rendered earlier (each `,"key":value`) to the open container, which must
    /// already hold a member: the envelope cache of a flow.
    public func appendMembers(_ members: [UInt8]) {
        precondition(depth > 0 && hasMemberBits & (1 << UInt64(depth)) != 0, "appendMembers needs a container with a member")
        members.withUnsafeBufferPointer { source in
            reserve(source.count)
            (storage + count).update(from: source.baseAddress!, count: source.count)
            count += source.count
        }
    }

    /// Replaces `members` with the bytes after the first `{` as members for `appendMembers`
    /// (`,"a":1,"b":2`), reusing its capacity.
    public func copyMembers(into members: inout [UInt8]) {
        members.removeAll(keepingCapacity: true)
        guard count > 1 else { return }
        members.append(UInt8(ascii: ","))
        members.append(contentsOf: UnsafeBufferPointer(start: storage + 1, count: count - 1))
    }

    /// A byte as two lower-case hex digits in a string (`"1b"`), as Suricata writes TCP flags.
    public func field(_ key: StaticString, hexByte value: UInt8) {
        self.key(key)
        reserve(4)
        storage[count] = UInt8(ascii: "\"")
        storage[count + 1] = JSONLineBuilder.hexDigit(value >> 4)
        storage[count + 2] = JSONLineBuilder.hexDigit(value & 0xF)
        storage[count + 3] = UInt8(ascii: "\"")
        count += 4
    }

    /// A 16-bit value as four lower-case hex digits in a string (`"8180"`, DNS flags).
    public func field(_ key: StaticString, hexWord value: UInt16) {
        self.key(key)
        reserve(6)
        storage[count] = UInt8(ascii: "\"")
        storage[count + 1] = JSONLineBuilder.hexDigit(UInt8(value >> 12))
        storage[count + 2] = JSONLineBuilder.hexDigit(UInt8((value >> 8) & 0xF))
        storage[count + 3] = JSONLineBuilder.hexDigit(UInt8((value >> 4) & 0xF))
        storage[count + 4] = JSONLineBuilder.hexDigit(UInt8(value & 0xF))
        storage[count + 5] = UInt8(ascii: "\"")
        count += 6
    }

    /// `"A.B"` from two numbers (an S7 `byte.bit` address) without building a string.
    public func field(_ key: StaticString, dotted first: UInt64, _ second: UInt64) {
        self.key(key)
        append(UInt8(ascii: "\""))
        appendUnsigned(first)
        append(UInt8(ascii: "."))
        appendUnsigned(second)
        append(UInt8(ascii: "\""))
    }

    /// `"PREFIX:NUMBER"` (the EVE `event_id`) without building the string.
    public func field(_ key: StaticString, _ prefix: String, colon number: UInt64) {
        self.key(key)
        append(UInt8(ascii: "\""))
        appendEscaped(prefix)
        append(UInt8(ascii: ":"))
        appendUnsigned(number)
        append(UInt8(ascii: "\""))
    }

    /// A number with a fixed number of decimals (no exponent, locale-free). Values from the wire
    /// can be anything: NaN and infinities become `null`, magnitudes of 1e15 and more are
    /// written in exponent form (still JSON), so nothing here can trap.
    public func field(_ key: StaticString, decimal value: Double, places: Int) {
        self.key(key)
        guard value.isFinite else { appendRaw("null"); return }
        guard abs(value) < 1e15 else {
            for byte in "\(value)".utf8 { append(byte) }
            return
        }
        var scale: Double = 1
        for _ in 0..<places { scale *= 10 }
        let negative = value < 0
        let scaled = (abs(value) * scale).rounded()
        let whole = UInt64(scaled / scale)
        let fraction = UInt64(scaled - Double(whole) * scale)
        if negative && scaled != 0 { append(UInt8(ascii: "-")) }
        appendUnsigned(whole)
        if places > 0 {
            append(UInt8(ascii: "."))
            var divisor: UInt64 = 1
            for _ in 1..<max(places, 1) { divisor *= 10 }
            var rest = fraction
            while divisor > 0 {
                append(UInt8(ascii: "0") + UInt8(rest / divisor))
                rest %= divisor
                divisor /= 10
            }
        }
    }

    /// Wire bytes as text: invalid UTF-8 becomes U+FFFD.
    public func field(_ key: StaticString, bytes value: [UInt8]) {
        self.key(key)
        appendString(String(decoding: value, as: UTF8.self))
    }

    /// An array element.
    public func element(_ value: String) {
        separate()
        appendString(value)
    }

    public func element(_ value: StaticString) {
        separate()
        append(UInt8(ascii: "\""))
        appendRaw(value)
        append(UInt8(ascii: "\""))
    }

    public func element<T: FixedWidthInteger>(_ value: T) {
        separate()
        if T.isSigned { appendInteger(Int64(value)) } else { appendUnsigned(UInt64(value)) }
    }

    // MARK: - Internals

    @inline(__always)
    private func reserve(_ extra: Int) {
        if count + extra > capacity { grow(count + extra) }
    }

    private func grow(_ needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let newStorage = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newStorage.update(from: storage, count: count)
        storage.deallocate()
        storage = newStorage
        capacity = newCapacity
    }

    @inline(__always)
    private func append(_ byte: UInt8) {
        reserve(1)
        storage[count] = byte
        count += 1
    }

    private func push() {
        depth += 1
        precondition(depth < 64, "JSON nesting deeper than 63")
        hasMemberBits &= ~(1 << UInt64(depth))
    }

    @inline(__always)
    private func separate() {
        guard depth > 0 else { return }
        let bit: UInt64 = 1 << UInt64(depth)
        if hasMemberBits & bit != 0 { append(UInt8(ascii: ",")) } else { hasMemberBits |= bit }
    }

    private func key(_ key: StaticString) {
        separate()
        let length = key.utf8CodeUnitCount
        reserve(length &+ 3)
        storage[count] = UInt8(ascii: "\"")
        JSONLineBuilder.copyShort(from: key.utf8Start, to: storage + (count &+ 1), count: length)
        let end = count &+ 1 &+ length
        storage[end] = UInt8(ascii: "\"")
        storage[end &+ 1] = UInt8(ascii: ":")
        count = end &+ 2
    }

    /// Copies a few bytes (keys, names) in 8-byte words, then bytes: no call to memmove, no
    /// overflow checks, never a read past the source's end.
    @inline(__always)
    static func copyShort(from source: UnsafePointer<UInt8>, to destination: UnsafeMutablePointer<UInt8>, count: Int) {
        var offset = 0
        while offset &+ 8 <= count {
            let word = UnsafeRawPointer(source + offset).loadUnaligned(as: UInt64.self)
            UnsafeMutableRawPointer(destination + offset).storeBytes(of: word, as: UInt64.self)
            offset &+= 8
        }
        while offset < count {
            destination[offset] = source[offset]
            offset &+= 1
        }
    }

    private func appendRaw(_ text: StaticString) {
        let length = text.utf8CodeUnitCount
        reserve(length)
        JSONLineBuilder.copyShort(from: text.utf8Start, to: storage + count, count: length)
        count &+= length
    }

    private func appendUnsigned(_ value: UInt64) {
        reserve(20)
        if value < 10 {
            storage[count] = UInt8(ascii: "0") + UInt8(value)
            count += 1
            return
        }
        var digits = 0
        var probe = value
        while probe > 0 { digits += 1; probe /= 10 }
        var v = value
        var index = count + digits - 1
        while v > 0 {
            storage[index] = UInt8(ascii: "0") + UInt8(v % 10)
            v /= 10
            index -= 1
        }
        count += digits
    }

    private func appendInteger(_ value: Int64) {
        if value < 0 {
            append(UInt8(ascii: "-"))
            appendUnsigned(UInt64(bitPattern: 0 &- value))
        } else {
            appendUnsigned(UInt64(value))
        }
    }

    @inline(__always)
    static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }

    private func appendString(_ value: String) {
        append(UInt8(ascii: "\""))
        appendEscaped(value)
        append(UInt8(ascii: "\""))
    }

    private func appendEscaped(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            reserve(utf8.count)
            for byte in utf8 {
                // The common case (printable, no quote or backslash) is a store: room for every
                // byte was reserved above; escapes reserve their own.
                if byte >= 0x20 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") && byte != 0x7F {
                    storage[count] = byte
                    count += 1
                    continue
                }
                reserve(6)
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                    storage[count] = UInt8(ascii: "\\"); storage[count + 1] = byte; count += 2
                case 0x0A: storage[count] = UInt8(ascii: "\\"); storage[count + 1] = UInt8(ascii: "n"); count += 2
                case 0x0D: storage[count] = UInt8(ascii: "\\"); storage[count + 1] = UInt8(ascii: "r"); count += 2
                case 0x09: storage[count] = UInt8(ascii: "\\"); storage[count + 1] = UInt8(ascii: "t"); count += 2
                default:
                    storage[count] = UInt8(ascii: "\\"); storage[count + 1] = UInt8(ascii: "u")
                    storage[count + 2] = UInt8(ascii: "0"); storage[count + 3] = UInt8(ascii: "0")
                    storage[count + 4] = JSONLineBuilder.hexDigit(byte >> 4)
                    storage[count + 5] = JSONLineBuilder.hexDigit(byte & 0xF)
                    count += 6
                }
                // Escapes used part of the room reserved for the rest of the string.
                reserve(utf8.count)
            }
        }
    }
}

/// EVE timestamps: `YYYY-MM-DDTHH:MM:SS.ffffff+0000` (UTC, microseconds, offset without colon).
public enum EveTimestamp {
    public static func format(microseconds: Int64) -> String {
        var text = ""
        write(microseconds: microseconds) { text = String(decoding: $0, as: UTF8.self) }
        return text
    }

    /// Hands the 31 bytes of the timestamp to `body` (from a stack buffer).
    public static func write(microseconds: Int64, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
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
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 31) { text in
            func put(_ value: Int64, at offset: Int, width: Int) {
                var v = max(value, 0)
                for i in stride(from: offset + width - 1, through: offset, by: -1) {
                    text[i] = UInt8(ascii: "0") + UInt8(v % 10)
                    v /= 10
                }
            }
            put(year, at: 0, width: 4); text[4] = UInt8(ascii: "-")
            put(month, at: 5, width: 2); text[7] = UInt8(ascii: "-")
            put(day, at: 8, width: 2); text[10] = UInt8(ascii: "T")
            put(secondOfDay / 3600, at: 11, width: 2); text[13] = UInt8(ascii: ":")
            put(secondOfDay / 60 % 60, at: 14, width: 2); text[16] = UInt8(ascii: ":")
            put(secondOfDay % 60, at: 17, width: 2); text[19] = UInt8(ascii: ".")
            put(micros, at: 20, width: 6)
            text[26] = UInt8(ascii: "+"); text[27] = UInt8(ascii: "0"); text[28] = UInt8(ascii: "0")
            text[29] = UInt8(ascii: "0"); text[30] = UInt8(ascii: "0")
            body(UnsafeBufferPointer(text))
        }
    }
}
