/// The stream-parser contract (after Suricata/sawp): given the bytes at the start of an
/// unparsed stream, a framer says whether a whole PDU is there, how many more bytes it
/// needs, or that the bytes cannot start a PDU. One framing driver in the flow layer
/// serves every length-prefixed protocol (MBAP, TPKT, DNP3 link frames, MQTT).
public enum FrameProbe: Equatable, Sendable {
    /// A PDU of `length` bytes starts here and is all present.
    case complete(length: Int)
    /// At least `totalLength` bytes are needed from the start before the PDU can be framed;
    /// when the length is known, this is the PDU's full length.
    case needMore(totalLength: Int)
    /// These bytes cannot start a PDU: the driver reports `anomaly` and resynchronises.
    case invalid(anomaly: String)
}

/// A protocol whose PDUs can be cut out of a byte stream.
public protocol StreamFramer {
    /// The largest PDU the protocol allows; the driver never buffers more than this.
    static var maximumFrameLength: Int { get }
    static func probeFrame(_ bytes: RawSpan) -> FrameProbe
}

/// A protocol probe's answer on the first bytes of one direction of a flow.
public enum ProbeVerdict: Equatable, Sendable {
    /// These bytes start this protocol.
    case match
    /// Too few bytes to tell yet (the detector keeps them and asks again).
    case needMore
    /// Not this protocol.
    case no
}
