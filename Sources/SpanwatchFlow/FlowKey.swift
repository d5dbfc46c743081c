import SpanwatchWire

/// A direction-free flow key: VLANs, both endpoints (ordered), IP protocol.
/// Endpoint A is the lower (address, port) so both directions find the same flow.
public struct FlowKey: Hashable, Sendable {
    public var aHigh: UInt64
    public var aLow: UInt64
    public var bHigh: UInt64
    public var bLow: UInt64
    public var aPort: UInt16
    public var bPort: UInt16
    public var ipProtocol: UInt8
    public var isIPv6: Bool
    /// Outer VLAN id << 16 | inner VLAN id.
    public var vlans: UInt32
    /// The tunnels' identity (VNI, ERSPAN session, GRE key; 0 outside tunnels): the same inner
    /// addresses in two tunnels are two flows.
    public var tunnel: UInt32 = 0

    /// Builds the key for a frame; `sourceIsA` tells whether the frame's source is endpoint A.
    public init(frame: DecodedFrame, sourceIsA: inout Bool) {
        let src = frame.sourceIP, dst = frame.destinationIP
        let sport = frame.hasPorts ? frame.sourcePort : 0
        let dport = frame.hasPorts ? frame.destinationPort : 0
        sourceIsA = src < dst || (src == dst && sport <= dport)
        let (a, b) = sourceIsA ? (src, dst) : (dst, src)
        aHigh = a.high
        aLow = a.low
        bHigh = b.high
        bLow = b.low
        aPort = sourceIsA ? sport : dport
        bPort = sourceIsA ? dport : sport
        ipProtocol = frame.ipProtocol
        isIPv6 = frame.network == .ipv6
        vlans = UInt32(frame.outerVLAN) << 16 | UInt32(frame.innerVLAN)
        tunnel = frame.tunnelCount > 0 ? frame.tunnelIdentity : 0
    }

    public init(a: IPAddress, aPort: UInt16, b: IPAddress, bPort: UInt16, ipProtocol: UInt8, vlans: UInt32 = 0) {
        aHigh = a.high; aLow = a.low; bHigh = b.high; bLow = b.low
        self.aPort = aPort; self.bPort = bPort
        self.ipProtocol = ipProtocol
        isIPv6 = a.isIPv6
        self.vlans = vlans
    }
}
