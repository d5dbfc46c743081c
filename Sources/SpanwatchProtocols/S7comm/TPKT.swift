import SpanwatchWire
import SpanwatchFlow
import SpanwatchJSON
// TPKT: RFC 1006 §6 (ISO transport over TCP, port 102).
//
//  0         1          2               4
// +---------+----------+---------------+--------------------
// | version | reserved | length (BE)   | COTP TPDU ...
// |   3     |    0     | incl. header  |
// +---------+----------+---------------+--------------------

public enum TPKT: StreamFramer {
    public static let version: UInt8 = 3
    public static let headerLength = 4
    /// A TPKT holds at least the header and a 3-byte COTP DT header.
    public static let minimumLength = 7
    public static let maximumFrameLength = 65535

    public static func probeFrame(_ bytes: RawSpan) -> FrameProbe {
        guard bytes.byteCount >= headerLength else { return .needMore(totalLength: headerLength) }
        guard bytes.u8(0) == version else { return .invalid(anomaly: "tpkt.bad_version") }
        let length = Int(bytes.u16be(2))
        guard length >= minimumLength else { return .invalid(anomaly: "tpkt.bad_length") }
        return bytes.byteCount >= length ? .complete(length: length) : .needMore(totalLength: length)
    }

    /// Detection: a TPKT whose COTP header is a known TPDU type with a consistent length indicator.
    public static func probe(_ bytes: RawSpan) -> ProbeVerdict {
        if bytes.byteCount >= 1 && bytes.u8(0) != version { return .no }
        if bytes.byteCount >= 2 && bytes.u8(1) != 0 { return .no }
        guard bytes.byteCount >= headerLength + 2 else { return .needMore }
        let length = Int(bytes.u16be(2))
        guard length >= minimumLength else { return .no }
        let lengthIndicator = Int(bytes.u8(4))
        guard lengthIndicator >= 2, headerLength + 1 + lengthIndicator <= length else { return .no }
        return COTP.TPDUType(code: bytes.u8(5) & 0xF0).isKnown ? .match : .no
    }

    /// Evidence that a TPKT stream off port 102 carries S7 rather than another ISO-on-TCP user
    /// (RDP's X.224 connection request has no TSAPs): a COTP CR or CC naming calling or called
    /// TSAPs, or a DT whose payload starts with an S7 (0x32) or S7comm-plus (0x72) id.
    public static func carriesS7(_ bytes: RawSpan) -> Bool {
        guard bytes.byteCount >= headerLength + 2 else { return false }
        let tpdu = bytes.extracting(headerLength..<bytes.byteCount)
        guard case .success(let header) = COTP.parse(tpdu) else { return false }
        switch header.type {
        case .connectionRequest, .connectionConfirm:
            return header.callingTSAP.count > 0 || header.calledTSAP.count > 0
        case .data:
            guard tpdu.byteCount > header.headerLength else { return false }
            let id = tpdu.u8(header.headerLength)
            return id == S7Comm.protocolID || id == S7CommPlus.protocolID
        default:
            return false
        }
    }
}
