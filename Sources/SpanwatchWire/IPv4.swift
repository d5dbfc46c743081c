// IPv4 (RFC 791).
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-------+-------+---------------+-------------------------------+
// |Version|  IHL  |Type of Service|          Total Length         |
// +-------+-------+---------------+-----+-------------------------+
// |         Identification        |Flags|      Fragment Offset    |
// +---------------+---------------+-----+-------------------------+
// |  Time to Live |    Protocol   |         Header Checksum       |
// +---------------+---------------+-------------------------------+
// |                       Source Address                          |
// |                    Destination Address                        |
// |                    Options (IHL > 5)                          |

public enum IPv4 {
    public static let versionAndIHLOffset = 0
    public static let totalLengthOffset = 2
    public static let flagsAndFragmentOffset = 6
    public static let ttlOffset = 8
    public static let protocolOffset = 9
    public static let sourceOffset = 12
    public static let destinationOffset = 16
    public static let minimumHeaderLength = destinationOffset + 4
    static let moreFragmentsBit: UInt16 = 0x2000
    static let fragmentOffsetMask: UInt16 = 0x1FFF

    /// Decodes the IPv4 header at `offset`; returns the transport header's offset and the
    /// end of the IP packet within the captured bytes (Ethernet padding excluded).
    public static func decode(_ bytes: RawSpan, at offset: Int, into frame: inout DecodedFrame, snapped: Bool) -> (start: Int, end: Int, wireEnd: Int)? {
        let available = bytes.byteCount - offset
        guard available >= 1 else {
            frame.stop = DecodeStop(layer: .ipv4, reason: snapped ? .snaplen : .truncated, required: minimumHeaderLength, available: 0)
            return nil
        }
        let versionAndIHL = bytes.u8(offset)
        guard versionAndIHL >> 4 == 4 else {
            frame.stop = DecodeStop(layer: .ipv4, reason: .invalidVersion)
            return nil
        }
        let headerLength = Int(versionAndIHL & 0x0F) * 4
        guard headerLength >= minimumHeaderLength else {
            frame.stop = DecodeStop(layer: .ipv4, reason: .invalidHeaderLength, required: minimumHeaderLength, available: headerLength)
            return nil
        }
        guard available >= headerLength else {
            frame.stop = DecodeStop(layer: .ipv4, reason: snapped ? .snaplen : .truncated, required: headerLength, available: available)
            return nil
        }
        frame.network = .ipv4
        frame.sourceIP = IPAddress(ipv4: bytes.u32be(offset + sourceOffset))
        frame.destinationIP = IPAddress(ipv4: bytes.u32be(offset + destinationOffset))
        frame.ipProtocol = bytes.u8(offset + protocolOffset)
        frame.ttl = bytes.u8(offset + ttlOffset)
        frame.ipOptionsLength = UInt16(headerLength - minimumHeaderLength)
        let flagsAndFragment = bytes.u16be(offset + flagsAndFragmentOffset)
        frame.moreFragments = flagsAndFragment & moreFragmentsBit != 0
        frame.fragmentOffset = flagsAndFragment & fragmentOffsetMask
        frame.isFragment = frame.moreFragments || frame.fragmentOffset != 0
        frame.isNonFirstFragment = frame.fragmentOffset != 0
        frame.ipHeaderOffset = offset
        frame.ipIdentification = UInt32(bytes.u16be(offset + 4))

        let totalLength = Int(bytes.u16be(offset + totalLengthOffset))
        // TSO/GRO on the capturing host can leave total length 0: trust the capture then.
        var end = offset + totalLength
        if totalLength == 0 {
            end = bytes.byteCount
        } else if totalLength < headerLength {
            frame.stop = DecodeStop(layer: .ipv4, reason: .invalidTotalLength, required: headerLength, available: totalLength)
            return nil
        } else if end > bytes.byteCount {
            if !snapped {
                frame.stop = DecodeStop(layer: .ipv4, reason: .invalidTotalLength, required: totalLength, available: available)
                return nil
            }
            end = bytes.byteCount
        }
        frame.fragmentDataOffset = offset + headerLength
        frame.fragmentDataEnd = end
        return (offset + headerLength, end, offset + (totalLength == 0 ? available : totalLength))
    }
}
