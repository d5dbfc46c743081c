// IPv6 (RFC 8200) with the extension headers a monitor must walk.
//
//  0       4               12                                     31
// +-------+---------------+---------------------------------------+
// |Version| Traffic Class |           Flow Label                  |
// +-------+---------------+-------+---------------+---------------+
// |         Payload Length        |  Next Header  |   Hop Limit   |
// +-------------------------------+---------------+---------------+
// |                 Source Address (16)                           |
// |              Destination Address (16)                         |
//
// Extension headers (next header, then length):
//   0 hop-by-hop, 43 routing, 60 destination options: length in 8-octet units, not counting the first 8
//   44 fragment: always 8 bytes; offset (13 bits) << 3, M flag in the low bit
//   51 authentication header: length in 4-octet units, minus 2

public enum IPv6 {
    public static let payloadLengthOffset = 4
    public static let nextHeaderOffset = 6
    public static let hopLimitOffset = 7
    public static let sourceOffset = 8
    public static let destinationOffset = 24
    public static let headerLength = destinationOffset + 16
    /// A chain longer than this is treated as an attack on the decoder.
    public static let maximumExtensionHeaders = 8

    static let hopByHop: UInt8 = 0
    static let routing: UInt8 = 43
    static let fragment: UInt8 = 44
    static let authentication: UInt8 = 51
    static let destinationOptions: UInt8 = 60
    static let fragmentHeaderLength = 8

    public static func decode(_ bytes: RawSpan, at offset: Int, into frame: inout DecodedFrame, snapped: Bool) -> (start: Int, end: Int, wireEnd: Int)? {
        let available = bytes.byteCount - offset
        guard available >= headerLength else {
            if available >= 1 && bytes.u8(offset) >> 4 != 6 {
                frame.stop = DecodeStop(layer: .ipv6, reason: .invalidVersion)
            } else {
                frame.stop = DecodeStop(layer: .ipv6, reason: snapped ? .snaplen : .truncated, required: headerLength, available: available)
            }
            return nil
        }
        guard bytes.u8(offset) >> 4 == 6 else {
            frame.stop = DecodeStop(layer: .ipv6, reason: .invalidVersion)
            return nil
        }
        frame.network = .ipv6
        frame.sourceIP = IPAddress(ipv6High: bytes.u64be(offset + sourceOffset), low: bytes.u64be(offset + sourceOffset + 8))
        frame.destinationIP = IPAddress(ipv6High: bytes.u64be(offset + destinationOffset), low: bytes.u64be(offset + destinationOffset + 8))
        frame.ttl = bytes.u8(offset + hopLimitOffset)
        let payloadLength = Int(bytes.u16be(offset + payloadLengthOffset))
        var end = offset + headerLength + payloadLength
        let wireEnd = end
        if payloadLength == 0 {
            end = bytes.byteCount  // jumbogram or offload: trust the capture
        } else if end > bytes.byteCount {
            if !snapped {
                frame.stop = DecodeStop(layer: .ipv6, reason: .invalidTotalLength, required: headerLength + payloadLength, available: available)
                return nil
            }
            end = bytes.byteCount
        }

        frame.ipHeaderOffset = offset
        var next = bytes.u8(offset + nextHeaderOffset)
        var nextField = offset + nextHeaderOffset
        var cursor = offset + headerLength
        while true {
            switch next {
            case hopByHop, routing, destinationOptions, authentication, fragment:
                guard Int(frame.ipv6ExtensionHeaderCount) < maximumExtensionHeaders else {
                    frame.stop = DecodeStop(layer: .ipv6Extension, reason: .tooManyExtensionHeaders)
                    return nil
                }
                guard end - cursor >= 8 else {
                    frame.stop = DecodeStop(layer: .ipv6Extension, reason: snapped ? .snaplen : .truncated, required: 8, available: end - cursor)
                    return nil
                }
                let length: Int
                switch next {
                case fragment:
                    length = fragmentHeaderLength
                    let offsetAndFlags = bytes.u16be(cursor + 2)
                    frame.fragmentOffset = offsetAndFlags >> 3
                    frame.moreFragments = offsetAndFlags & 1 != 0
                    // An atomic fragment (offset 0, M clear) is a whole packet (RFC 6946).
                    frame.isFragment = frame.fragmentOffset != 0 || frame.moreFragments
                    frame.isNonFirstFragment = frame.fragmentOffset != 0
                    frame.ipIdentification = bytes.u32be(cursor + 4)
                    frame.fragmentHeaderOffset = cursor
                    frame.fragmentNextHeader = bytes.u8(cursor)
                    frame.fragmentNextHeaderField = nextField
                    frame.fragmentDataOffset = cursor + fragmentHeaderLength
                    frame.fragmentDataEnd = end
                case authentication:
                    length = (Int(bytes.u8(cursor + 1)) + 2) * 4
                default:
                    length = (Int(bytes.u8(cursor + 1)) + 1) * 8
                }
                guard end - cursor >= length else {
                    frame.stop = DecodeStop(layer: .ipv6Extension, reason: snapped ? .snaplen : .truncated, required: length, available: end - cursor)
                    return nil
                }
                frame.ipv6ExtensionHeaderCount += 1
                next = bytes.u8(cursor)
                nextField = cursor
                cursor += length
                if frame.isNonFirstFragment {
                    frame.ipProtocol = next
                    return (cursor, end, wireEnd)
                }
            default:
                frame.ipProtocol = next
                return (cursor, end, wireEnd)
            }
        }
    }
}
