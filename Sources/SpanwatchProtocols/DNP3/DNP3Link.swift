import SpanwatchWire
import SpanwatchFlow
import SpanwatchJSON
// DNP3 data link layer: IEEE 1815-2012 §9 (frame format), the CRC of §9.2.5.
//
// A link frame is a 10-byte header block followed by user data in blocks of at most 16 bytes,
// each block (and the header) followed by its 2-byte CRC (little-endian):
//
//  0     1     2      3        4     5     6     7     8     9
// +-----+-----+------+--------+-----------+-----------+-----------+
// | 05  | 64  | LEN  | CONTROL| DST (le)  | SRC (le)  | CRC (le)  |  then 16 data bytes + CRC, ...
// +-----+-----+------+--------+-----------+-----------+-----------+
//
// LEN counts CONTROL, DST, SRC and the user data, never the CRCs: 5 ... 255.
// CONTROL: DIR (0x80), PRM (0x40), FCB (0x20, primary) or reserved, FCV (0x10, primary) or
// DFC (0x10, secondary), function (0x0F). Primary functions: 0 reset link states, 2 test link,
// 3 confirmed user data, 4 unconfirmed user data, 9 request link status. Secondary: 0 ACK,
// 1 NACK, 11 link status, 15 not supported.

public enum DNP3Link: StreamFramer {
    public static let startBytes: UInt16 = 0x0564
    public static let lengthOffset = 2
    public static let controlOffset = 3
    public static let destinationOffset = 4
    public static let sourceOffset = 6
    public static let headerCRCOffset = 8
    public static let headerLength = 10
    /// LEN counts control, destination and source (5 bytes) before any user data.
    public static let minimumLengthField = 5
    public static let blockLength = 16
    public static let maximumUserData = 255 - minimumLengthField
    /// 10-byte header + 250 data bytes + 16 block CRCs.
    public static let maximumFrameLength = headerLength + maximumUserData + 2 * ((maximumUserData + blockLength - 1) / blockLength)

    /// Bytes on the wire for a LEN field value.
    public static func frameLength(lengthField: Int) -> Int {
        let userData = lengthField - minimumLengthField
        return headerLength + userData + 2 * ((userData + blockLength - 1) / blockLength)
    }

    public static func probeFrame(_ bytes: RawSpan) -> FrameProbe {
        guard bytes.byteCount >= 3 else { return .needMore(totalLength: 3) }
        guard bytes.u16be(0) == startBytes else { return .invalid(anomaly: "dnp3.bad_start_bytes") }
        let lengthField = Int(bytes.u8(lengthOffset))
        guard lengthField >= minimumLengthField else { return .invalid(anomaly: "dnp3.bad_link_length") }
        let total = frameLength(lengthField: lengthField)
        return bytes.byteCount >= total ? .complete(length: total) : .needMore(totalLength: total)
    }

    /// Detection: start bytes, a possible length and a good header CRC (a 1-in-65536 accident).
    public static func probe(_ bytes: RawSpan) -> ProbeVerdict {
        if bytes.byteCount >= 2 && bytes.u16be(0) != startBytes { return .no }
        if bytes.byteCount >= 3 && Int(bytes.u8(lengthOffset)) < minimumLengthField { return .no }
        guard bytes.byteCount >= headerLength else { return .needMore }
        return headerCRCIsValid(bytes) ? .match : .no
    }

    public static func headerCRCIsValid(_ frame: RawSpan) -> Bool {
        DNP3CRC.compute(frame, from: 0, count: headerCRCOffset) == frame.u16le(headerCRCOffset)
    }

    /// Copies the user data of a complete frame (as cut by `probeFrame`) into `output`, checking
    /// every block's CRC. Returns the index of the first bad block (0 is the header), or nil.
    public static func extractUserData(_ frame: RawSpan, into output: inout [UInt8]) -> Int? {
        output.removeAll(keepingCapacity: true)
        guard headerCRCIsValid(frame) else { return 0 }
        let userData = Int(frame.u8(lengthOffset)) - minimumLengthField
        var offset = headerLength
        var remaining = userData
        var block = 1
        while remaining > 0 {
            let size = min(blockLength, remaining)
            guard DNP3CRC.compute(frame, from: offset, count: size) == frame.u16le(offset + size) else { return block }
            output.appendBytes(of: frame.extracting(offset..<(offset + size)))
            offset += size + 2
            remaining -= size
            block += 1
        }
        return nil
    }
}

/// The link header's fields.
public struct DNP3LinkHeader: Sendable, Equatable {
    public var lengthField: UInt8 = 0
    public var control: UInt8 = 0
    public var destination: UInt16 = 0
    public var source: UInt16 = 0

    public init() {}

    /// Reads the header of a frame at least `DNP3Link.headerLength` bytes long.
    public init(_ frame: RawSpan) {
        lengthField = frame.u8(DNP3Link.lengthOffset)
        control = frame.u8(DNP3Link.controlOffset)
        destination = frame.u16le(DNP3Link.destinationOffset)
        source = frame.u16le(DNP3Link.sourceOffset)
    }

    /// DIR: set on frames from the master.
    public var fromMaster: Bool { control & 0x80 != 0 }
    /// PRM: the frame starts a link transaction (primary station).
    public var primary: Bool { control & 0x40 != 0 }
    public var frameCountBit: Bool { control & 0x20 != 0 }
    /// FCV on primary frames, DFC (data flow control) on secondary frames.
    public var frameCountValid: Bool { control & 0x10 != 0 }
    public var function: UInt8 { control & 0x0F }
    public var userDataLength: Int { max(Int(lengthField) - DNP3Link.minimumLengthField, 0) }
    /// Primary confirmed (3) or unconfirmed (4) user data carries transport segments.
    public var carriesUserData: Bool { primary && (function == 3 || function == 4) && userDataLength > 0 }

    public var functionName: String {
        if primary {
            switch function {
            case 0: return "RESET_LINK_STATES"
            case 2: return "TEST_LINK_STATES"
            case 3: return "CONFIRMED_USER_DATA"
            case 4: return "UNCONFIRMED_USER_DATA"
            case 9: return "REQUEST_LINK_STATUS"
            default: return "UNKNOWN"
            }
        }
        switch function {
        case 0: return "ACK"
        case 1: return "NACK"
        case 11: return "LINK_STATUS"
        case 15: return "NOT_SUPPORTED"
        default: return "UNKNOWN"
        }
    }
}

/// DNP3's CRC-16: polynomial 0x3D65, reflected (0xA6BC), initial value 0, result inverted.
public enum DNP3CRC {
    static let table: [UInt16] = (0..<256).map { index in
        var crc = UInt16(index)
        for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xA6BC : crc >> 1 }
        return crc
    }

    public static func compute(_ bytes: RawSpan, from offset: Int, count: Int) -> UInt16 {
        var crc: UInt16 = 0
        table.withUnsafeBufferPointer { table in
            for index in offset..<(offset + count) {
                crc = (crc >> 8) ^ table[Int((crc ^ UInt16(bytes.u8(index))) & 0xFF)]
            }
        }
        return ~crc
    }

    public static func compute(_ bytes: [UInt8]) -> UInt16 {
        bytes.withUnsafeBytes { compute($0.bytes, from: 0, count: $0.count) }
    }
}
