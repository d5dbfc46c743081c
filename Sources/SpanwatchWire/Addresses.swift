/// A MAC-48 address held in the low 48 bits of an integer (no allocation).
public struct MACAddress: Hashable, Sendable, CustomStringConvertible {
    public var raw: UInt64

    public init(raw: UInt64) { self.raw = raw & 0xFFFF_FFFF_FFFF }

    public init(_ span: RawSpan, at offset: Int) {
        raw = UInt64(span.u16be(offset)) << 32 | UInt64(span.u32be(offset + 2))
    }

    public var octets: [UInt8] {
        (0..<6).map { UInt8(truncatingIfNeeded: raw >> (40 - 8 * UInt64($0))) }
    }

    /// Group bit set: multicast or broadcast, never a device's own address.
    public var isMulticast: Bool { raw & 0x0100_0000_0000 != 0 }

    /// Parses `aa:bb:cc:dd:ee:ff`.
    public init?(_ text: String) {
        let parts = text.split(separator: ":")
        guard parts.count == 6 else { return nil }
        var value: UInt64 = 0
        for part in parts {
            guard part.count == 2, let byte = UInt8(part, radix: 16) else { return nil }
            value = value << 8 | UInt64(byte)
        }
        raw = value
    }

    /// `aa:bb:cc:dd:ee:ff`, lower case as Suricata writes it.
    public var description: String {
        octets.map { hexByte($0) }.joined(separator: ":")
    }
}

/// An IPv4 or IPv6 address as two 64-bit halves (IPv4 in the low 32 bits of `low`).
public struct IPAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64
    public var isIPv6: Bool

    public init(ipv4: UInt32) {
        high = 0
        low = UInt64(ipv4)
        isIPv6 = false
    }

    public init(ipv6High: UInt64, low: UInt64) {
        high = ipv6High
        self.low = low
        isIPv6 = true
    }

    public static let none = IPAddress(ipv4: 0)

    /// IPv4 224.0.0.0/4 or the limited broadcast, IPv6 ff00::/8.
    public var isMulticastOrBroadcast: Bool {
        if isIPv6 { return high >> 56 == 0xFF }
        return ipv4 >> 28 == 0xE || ipv4 == 0xFFFF_FFFF
    }

    public var ipv4: UInt32 { UInt32(truncatingIfNeeded: low) }

    /// Network-order bytes: 4 for IPv4, 16 for IPv6 (Community ID hashes these).
    public var bytes: [UInt8] {
        if !isIPv6 {
            return (0..<4).map { UInt8(truncatingIfNeeded: ipv4 >> (24 - 8 * UInt32($0))) }
        }
        var out = [UInt8]()
        out.reserveCapacity(16)
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: high >> UInt64(shift))) }
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: low >> UInt64(shift))) }
        return out
    }

    /// Unsigned lexicographic order on the network-order bytes (IPv4 sorts before IPv6).
    public static func < (a: IPAddress, b: IPAddress) -> Bool {
        if a.isIPv6 != b.isIPv6 { return !a.isIPv6 }
        if a.high != b.high { return a.high < b.high }
        return a.low < b.low
    }

    /// Dotted quad, or RFC 5952 text for IPv6 (longest zero run compressed, lower case).
    public var description: String {
        var text = ""
        write { text = String(decoding: $0, as: UTF8.self) }
        return text
    }

    /// Hands the text form (`description`) to `body` from a stack buffer: no allocation.
    public func write(_ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 48) { text in
            var count = 0
            func put(_ byte: UInt8) { text[count] = byte; count += 1 }
            func putDecimal(_ value: UInt32) {
                if value >= 100 { put(UInt8(ascii: "0") + UInt8(value / 100)) }
                if value >= 10 { put(UInt8(ascii: "0") + UInt8(value / 10 % 10)) }
                put(UInt8(ascii: "0") + UInt8(value % 10))
            }
            func putQuad(_ v: UInt32) {
                putDecimal(v >> 24); put(UInt8(ascii: "."))
                putDecimal((v >> 16) & 0xFF); put(UInt8(ascii: "."))
                putDecimal((v >> 8) & 0xFF); put(UInt8(ascii: "."))
                putDecimal(v & 0xFF)
            }
            func putHex(_ group: UInt16) {
                var started = false
                for shift in stride(from: 12, through: 0, by: -4) {
                    let nibble = UInt8((group >> UInt16(shift)) & 0xF)
                    if nibble != 0 || started || shift == 0 {
                        started = true
                        put(nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10)
                    }
                }
            }
            if !isIPv6 {
                putQuad(ipv4)
            } else if high == 0 && (low >> 32) == 0xFFFF {
                // IPv4-mapped addresses keep their dotted tail, as inet_ntop writes them.
                for byte in "::ffff:".utf8 { put(byte) }
                putQuad(UInt32(truncatingIfNeeded: low))
            } else {
                func group(_ i: Int) -> UInt16 {
                    UInt16(truncatingIfNeeded: (i < 4 ? high : low) >> UInt64(48 - 16 * (i % 4)))
                }
                var bestStart = -1, bestLength = 0, runStart = -1
                for i in 0...8 {
                    if i < 8 && group(i) == 0 {
                        if runStart < 0 { runStart = i }
                    } else if runStart >= 0 {
                        let length = i - runStart
                        if length > bestLength && length >= 2 { bestStart = runStart; bestLength = length }
                        runStart = -1
                    }
                }
                var i = 0
                while i < 8 {
                    if i == bestStart {
                        put(UInt8(ascii: ":")); put(UInt8(ascii: ":"))
                        i += bestLength
                        continue
                    }
                    if count > 0 && text[count - 1] != UInt8(ascii: ":") { put(UInt8(ascii: ":")) }
                    putHex(group(i))
                    i += 1
                }
            }
            body(UnsafeBufferPointer(rebasing: text[0..<count]))
        }
    }

    /// Parses dotted-quad or IPv6 text (used by config and tests, not per packet).
    public init?(_ text: String) {
        if text.contains(":") {
            guard let v6 = IPAddress.parseIPv6(text) else { return nil }
            self = v6
        } else {
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 4 else { return nil }
            var value: UInt32 = 0
            for part in parts {
                guard let octet = UInt8(part) else { return nil }
                value = value << 8 | UInt32(octet)
            }
            self.init(ipv4: value)
        }
    }

    private static func parseIPv6(_ text: String) -> IPAddress? {
        var halves = [String]()
        if let range = text.firstRange(of: "::") {
            halves = [String(text[..<range.lowerBound]), String(text[range.upperBound...])]
            if halves[1].contains("::") { return nil }
        } else {
            halves = [text]
        }
        func groups(_ s: String) -> [UInt16]? {
            if s.isEmpty { return [] }
            var out = [UInt16]()
            for piece in s.split(separator: ":", omittingEmptySubsequences: false) {
                if piece.contains("."), let v4 = IPAddress(String(piece)), !v4.isIPv6 {
                    out.append(UInt16(v4.ipv4 >> 16)); out.append(UInt16(v4.ipv4 & 0xFFFF))
                } else {
                    guard piece.count <= 4, let g = UInt16(piece, radix: 16) else { return nil }
                    out.append(g)
                }
            }
            return out
        }
        guard let head = groups(halves[0]) else { return nil }
        var all = head
        if halves.count == 2 {
            guard let tail = groups(halves[1]), head.count + tail.count < 8 else { return nil }
            all += Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        }
        guard all.count == 8 else { return nil }
        var high: UInt64 = 0, low: UInt64 = 0
        for g in all[0..<4] { high = high << 16 | UInt64(g) }
        for g in all[4..<8] { low = low << 16 | UInt64(g) }
        return IPAddress(ipv6High: high, low: low)
    }
}

@usableFromInline
func hexByte(_ b: UInt8) -> String {
    let digits: [Character] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "a", "b", "c", "d", "e", "f"]
    return String([digits[Int(b >> 4)], digits[Int(b & 0xF)]])
}
