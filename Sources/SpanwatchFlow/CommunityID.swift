import SpanwatchWire

/// Community ID v1 flow hashing (corelight/community-id-spec): the same value for a flow in
/// spanwatch, Suricata, Zeek, Arkime and Wireshark, so a SOC can pivot between them.
public enum CommunityID {
    static let tcp: UInt8 = 6, udp: UInt8 = 17, sctp: UInt8 = 132, icmp: UInt8 = 1, icmpv6: UInt8 = 58

    /// ICMP "port equivalents" (Zeek): a type with a counterpart is two-way.
    static let icmpv4Counterparts: [UInt8: UInt8] = [8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 10: 9, 9: 10, 17: 18, 18: 17]
    static let icmpv6Counterparts: [UInt8: UInt8] = [128: 129, 129: 128, 133: 134, 134: 133, 135: 136, 136: 135,
                                                       130: 131, 131: 130, 139: 140, 140: 139, 144: 145, 145: 144]

    /// - Parameters: for ICMP/ICMPv6 pass the type as `sourcePort` and the code as `destinationPort`.
    public static func compute(source: IPAddress, destination: IPAddress, ipProtocol: UInt8,
                               sourcePort: UInt16, destinationPort: UInt16, seed: UInt16 = 0, base64: Bool = true) -> String {
        var srcIP = source, dstIP = destination
        var srcPort = sourcePort, dstPort = destinationPort
        var hasPorts = true
        var oneWay = false
        switch ipProtocol {
        case tcp, udp, sctp: break
        case icmp, icmpv6:
            let table = ipProtocol == icmp ? icmpv4Counterparts : icmpv6Counterparts
            let type = UInt8(truncatingIfNeeded: sourcePort)
            if let counterpart = table[type] {
                dstPort = UInt16(counterpart)
            } else {
                oneWay = true
            }
        default:
            hasPorts = false
        }
        if !oneWay {
            let aFirst = srcIP < dstIP || (srcIP == dstIP && (!hasPorts || srcPort <= dstPort))
            if !aFirst {
                swap(&srcIP, &dstIP)
                swap(&srcPort, &dstPort)
            }
        }
        var input = [UInt8]()
        input.reserveCapacity(40)
        input.append(UInt8(seed >> 8)); input.append(UInt8(seed & 0xFF))
        input += srcIP.bytes
        input += dstIP.bytes
        input.append(ipProtocol)
        input.append(0)
        if hasPorts {
            input.append(UInt8(srcPort >> 8)); input.append(UInt8(srcPort & 0xFF))
            input.append(UInt8(dstPort >> 8)); input.append(UInt8(dstPort & 0xFF))
        }
        let digest = SHA1.hash(input)
        return "1:" + (base64 ? Base64.encode(digest) : digest.map { hexDigits($0) }.joined())
    }

    private static func hexDigits(_ b: UInt8) -> String {
        let s = String(b, radix: 16)
        return b < 16 ? "0" + s : s
    }
}

enum Base64 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= bytes.count {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out += [alphabet[Int(v >> 18)], alphabet[Int(v >> 12 & 63)], alphabet[Int(v >> 6 & 63)], alphabet[Int(v & 63)]]
            i += 3
        }
        let rest = bytes.count - i
        if rest == 1 {
            let v = UInt32(bytes[i]) << 16
            out += [alphabet[Int(v >> 18)], alphabet[Int(v >> 12 & 63)], UInt8(ascii: "="), UInt8(ascii: "=")]
        } else if rest == 2 {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            out += [alphabet[Int(v >> 18)], alphabet[Int(v >> 12 & 63)], alphabet[Int(v >> 6 & 63)], UInt8(ascii: "=")]
        }
        return String(decoding: out, as: UTF8.self)
    }
}
