// Linux "cooked" capture headers, used by `tcpdump -i any`.
//
// SLL (v1), 16 bytes:                       SLL2 (v2), 20 bytes:
//  0  packet type (2)                        0  protocol type (2)
//  2  ARPHRD type (2)                        2  reserved (2)
//  4  link-layer address length (2)          4  interface index (4)
//  6  link-layer address (8, padded)         8  ARPHRD type (2)
// 14  protocol type (2)                     10  packet type (1)
//                                           11  link-layer address length (1)
//                                           12  link-layer address (8, padded)

public enum LinuxCooked {
    public static let v1HeaderLength = 16
    public static let v1ProtocolOffset = 14
    public static let v2HeaderLength = 20
    public static let v2ProtocolOffset = 0
    static let addressOffsetV1 = 6
    static let addressOffsetV2 = 12
    static let arphrdEthernet: UInt16 = 1

    /// Decodes the cooked header, following VLAN tags the kernel left in place.
    public static func decode(_ bytes: RawSpan, version: Int, into frame: inout DecodedFrame, snapped: Bool) -> Int? {
        let headerLength = version == 2 ? v2HeaderLength : v1HeaderLength
        guard bytes.byteCount >= headerLength else {
            frame.stop = DecodeStop(layer: .link, reason: snapped ? .snaplen : .truncated,
                                    required: headerLength, available: bytes.byteCount)
            return nil
        }
        let type = bytes.u16be(version == 2 ? v2ProtocolOffset : v1ProtocolOffset)
        let arphrd = bytes.u16be(version == 2 ? 8 : 2)
        let addressLength = version == 2 ? Int(bytes.u8(11)) : Int(bytes.u16be(4))
        if arphrd == arphrdEthernet && addressLength == 6 {
            // The sender's MAC is all the cooked header keeps of Ethernet.
            frame.sourceMAC = MACAddress(bytes, at: version == 2 ? addressOffsetV2 : addressOffsetV1)
        }
        return Ethernet.decodeVLANTags(bytes, from: headerLength, etherType: type, into: &frame, snapped: snapped)
    }
}
