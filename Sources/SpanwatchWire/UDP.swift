// UDP (RFC 768).
//
//  0               2               4               6               8
// +---------------+---------------+---------------+---------------+
// |  Source Port  |   Dest Port   |    Length     |   Checksum    |

public enum UDP {
    public static let sourcePortOffset = 0
    public static let destinationPortOffset = 2
    public static let lengthOffset = 4
    public static let headerLength = 8

    public static func decode(_ bytes: RawSpan, at offset: Int, end: Int, into frame: inout DecodedFrame, snapped: Bool) -> (start: Int, end: Int)? {
        let available = end - offset
        guard available >= headerLength else {
            frame.stop = DecodeStop(layer: .udp, reason: snapped ? .snaplen : .truncated, required: headerLength, available: available)
            return nil
        }
        frame.transport = .udp
        frame.sourcePort = bytes.u16be(offset + sourcePortOffset)
        frame.destinationPort = bytes.u16be(offset + destinationPortOffset)
        let length = Int(bytes.u16be(offset + lengthOffset))
        if length == 0 {
            return (offset + headerLength, end)  // IPv6 jumbogram convention: use the IP length
        }
        guard length >= headerLength else {
            frame.stop = DecodeStop(layer: .udp, reason: .invalidLength, required: headerLength, available: length)
            return nil
        }
        if offset + length > end {
            // A first IP fragment carries the whole datagram's length: not an error.
            if !snapped && !frame.moreFragments {
                frame.stop = DecodeStop(layer: .udp, reason: .invalidLength, required: length, available: available)
                return nil
            }
            return (offset + headerLength, end)
        }
        return (offset + headerLength, offset + length)
    }
}
