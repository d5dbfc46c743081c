// TCP (RFC 9293).
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-------------------------------+-------------------------------+
// |          Source Port          |       Destination Port        |
// +-------------------------------+-------------------------------+
// |                        Sequence Number                        |
// |                    Acknowledgment Number                      |
// +-------+-------+---------------+-------------------------------+
// |  Data |       |C|E|U|A|P|R|S|F|                               |
// | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
// +-------+-------+---------------+-------------------------------+
// |           Checksum            |         Urgent Pointer        |
// |                    Options (data offset > 5)                  |

public enum TCP {
    public static let sourcePortOffset = 0
    public static let destinationPortOffset = 2
    public static let sequenceOffset = 4
    public static let acknowledgementOffset = 8
    public static let dataOffsetOffset = 12
    public static let flagsOffset = 13
    public static let windowOffset = 14
    public static let minimumHeaderLength = 20

    static let optionEnd: UInt8 = 0
    static let optionNoOp: UInt8 = 1
    static let optionMSS: UInt8 = 2
    static let optionWindowScale: UInt8 = 3
    static let optionSACKPermitted: UInt8 = 4

    public static func decode(_ bytes: RawSpan, at offset: Int, end: Int, into frame: inout DecodedFrame, snapped: Bool) -> Int? {
        let available = end - offset
        guard available >= minimumHeaderLength else {
            frame.stop = DecodeStop(layer: .tcp, reason: snapped ? .snaplen : .truncated, required: minimumHeaderLength, available: available)
            return nil
        }
        frame.sourcePort = bytes.u16be(offset + sourcePortOffset)
        frame.destinationPort = bytes.u16be(offset + destinationPortOffset)
        frame.tcpSequence = bytes.u32be(offset + sequenceOffset)
        frame.tcpAcknowledgement = bytes.u32be(offset + acknowledgementOffset)
        frame.tcpFlags = TCPFlags(rawValue: bytes.u8(offset + flagsOffset))
        frame.tcpWindow = bytes.u16be(offset + windowOffset)
        let headerLength = Int(bytes.u8(offset + dataOffsetOffset) >> 4) * 4
        guard headerLength >= minimumHeaderLength else {
            frame.stop = DecodeStop(layer: .tcp, reason: .invalidDataOffset, required: minimumHeaderLength, available: headerLength)
            return nil
        }
        guard available >= headerLength else {
            frame.stop = DecodeStop(layer: .tcp, reason: snapped ? .snaplen : .truncated, required: headerLength, available: available)
            return nil
        }
        frame.transport = .tcp
        decodeOptions(bytes, from: offset + minimumHeaderLength, to: offset + headerLength, into: &frame)
        return offset + headerLength
    }

    /// Reads MSS, window scale and SACK-permitted; a bad option length flags the frame, it does not stop it.
    static func decodeOptions(_ bytes: RawSpan, from start: Int, to end: Int, into frame: inout DecodedFrame) {
        var cursor = start
        while cursor < end {
            let kind = bytes.u8(cursor)
            if kind == optionEnd { return }
            if kind == optionNoOp { cursor += 1; continue }
            guard cursor + 1 < end else { frame.tcpOptionsMalformed = true; return }
            let length = Int(bytes.u8(cursor + 1))
            guard length >= 2, cursor + length <= end else { frame.tcpOptionsMalformed = true; return }
            switch kind {
            case optionMSS where length == 4: frame.tcpMSS = bytes.u16be(cursor + 2)
            case optionWindowScale where length == 3: frame.tcpWindowScale = bytes.u8(cursor + 2)
            case optionSACKPermitted where length == 2: frame.tcpSACKPermitted = true
            default: break
            }
            cursor += length
        }
    }
}
