// ICMP (RFC 792) and ICMPv6 (RFC 4443): type, code, checksum, then type-specific data.
//
// +---------------+---------------+-------------------------------+
// |     Type      |     Code      |           Checksum            |

public enum ICMP {
    public static let typeOffset = 0
    public static let codeOffset = 1
    public static let headerLength = 4

    public static func decode(_ bytes: RawSpan, at offset: Int, end: Int, version6: Bool, into frame: inout DecodedFrame, snapped: Bool) -> Int? {
        let layer: WireLayer = version6 ? .icmpv6 : .icmp
        guard end - offset >= headerLength else {
            frame.stop = DecodeStop(layer: layer, reason: snapped ? .snaplen : .truncated, required: headerLength, available: end - offset)
            return nil
        }
        frame.transport = version6 ? .icmpv6 : .icmp
        frame.icmpType = bytes.u8(offset + typeOffset)
        frame.icmpCode = bytes.u8(offset + codeOffset)
        return offset + headerLength
    }
}
