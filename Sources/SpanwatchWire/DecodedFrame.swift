/// The layer at which decoding stopped, or which a fact belongs to.
public enum WireLayer: UInt8, Sendable, CustomStringConvertible {
    case link, vlan, ipv4, ipv6, ipv6Extension, tcp, udp, icmp, icmpv6, tunnel

    public var description: String {
        switch self {
        case .link: "link"
        case .vlan: "vlan"
        case .ipv4: "ipv4"
        case .ipv6: "ipv6"
        case .ipv6Extension: "ipv6_ext"
        case .tcp: "tcp"
        case .udp: "udp"
        case .icmp: "icmp"
        case .icmpv6: "icmpv6"
        case .tunnel: "tunnel"
        }
    }
}

/// Why decoding stopped before the transport payload (etherparse's "lax" model: the
/// layers already decoded stay valid, this records where and why the rest is missing).
public struct DecodeStop: Sendable, Equatable {
    public enum Reason: UInt8, Sendable {
        /// The capture's snap length cut the frame (caplen < wire length): not an anomaly.
        case snaplen
        /// The frame itself is shorter than its headers claim: a malformed frame.
        case truncated
        case invalidVersion
        case invalidHeaderLength
        case invalidTotalLength
        case invalidDataOffset
        case invalidLength
        case tooManyExtensionHeaders
        case tooManyVLANTags
        case tooManyTunnels
    }

    public var layer: WireLayer
    public var reason: Reason
    /// Bytes the layer needed and bytes that were there (for truncations).
    public var required: Int
    public var available: Int

    public init(layer: WireLayer, reason: Reason, required: Int = 0, available: Int = 0) {
        self.layer = layer
        self.reason = reason
        self.required = required
        self.available = available
    }

    /// True when this is a malformed frame (counted and reported as an `anomaly`).
    public var isAnomaly: Bool { reason != .snaplen }

    /// A stable anomaly event name such as `ipv4.invalid_total_length` (static text, no allocation).
    public var eventName: String {
        switch (layer, reason) {
        case (_, .snaplen): "\(layer).truncated_by_snaplen"
        case (.link, .truncated): "link.truncated"
        case (.vlan, .truncated): "vlan.truncated"
        case (.vlan, .tooManyVLANTags): "vlan.too_many_tags"
        case (.ipv4, .truncated): "ipv4.truncated"
        case (.ipv4, .invalidVersion): "ipv4.invalid_version"
        case (.ipv4, .invalidHeaderLength): "ipv4.invalid_header_length"
        case (.ipv4, .invalidTotalLength): "ipv4.invalid_total_length"
        case (.ipv6, .truncated): "ipv6.truncated"
        case (.ipv6, .invalidVersion): "ipv6.invalid_version"
        case (.ipv6, .invalidTotalLength): "ipv6.invalid_payload_length"
        case (.ipv6Extension, .truncated): "ipv6.extension_header_truncated"
        case (.ipv6Extension, .tooManyExtensionHeaders): "ipv6.too_many_extension_headers"
        case (.ipv6Extension, _): "ipv6.invalid_extension_header"
        case (.tcp, .truncated): "tcp.truncated"
        case (.tcp, .invalidDataOffset): "tcp.invalid_data_offset"
        case (.udp, .truncated): "udp.truncated"
        case (.udp, .invalidLength): "udp.invalid_length"
        case (.icmp, .truncated): "icmp.truncated"
        case (.icmpv6, .truncated): "icmpv6.truncated"
        case (.tunnel, .truncated): "tunnel.truncated"
        case (.tunnel, .tooManyTunnels): "tunnel.too_deep"
        default: "\(layer).malformed"
        }
    }
}

public enum NetworkLayer: UInt8, Sendable {
    case none, ipv4, ipv6, arp, other
}

public enum TransportLayer: UInt8, Sendable {
    case none, tcp, udp, icmp, icmpv6, other
}

/// TCP flag bits as on the wire (byte 13 of the header).
public struct TCPFlags: OptionSet, Sendable, Hashable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let fin = TCPFlags(rawValue: 0x01)
    public static let syn = TCPFlags(rawValue: 0x02)
    public static let rst = TCPFlags(rawValue: 0x04)
    public static let psh = TCPFlags(rawValue: 0x08)
    public static let ack = TCPFlags(rawValue: 0x10)
    public static let urg = TCPFlags(rawValue: 0x20)
    public static let ece = TCPFlags(rawValue: 0x40)
    public static let cwr = TCPFlags(rawValue: 0x80)
}

/// Everything the wire layer learns from one frame. A plain value reused frame after frame
/// (gopacket's DecodingLayerParser model): decoding fills it in, never allocates.
/// Offsets point into the frame span the decoder was given.
public struct DecodedFrame: Sendable {
    // Link layer
    public var hasEthernet = false
    public var sourceMAC = MACAddress(raw: 0)
    public var destinationMAC = MACAddress(raw: 0)
    /// VLAN ids outermost first; `vlanCount` may exceed 2, only two are kept.
    public var vlanCount: UInt8 = 0
    public var outerVLAN: UInt16 = 0
    public var innerVLAN: UInt16 = 0
    public var etherType: UInt16 = 0

    // Network layer
    public var network: NetworkLayer = .none
    public var sourceIP = IPAddress.none
    public var destinationIP = IPAddress.none
    public var ipProtocol: UInt8 = 0
    public var ttl: UInt8 = 0
    /// IPv4 options present (header longer than 20 bytes) / IPv6 extension headers seen.
    public var ipOptionsLength: UInt16 = 0
    public var ipv6ExtensionHeaderCount: UInt8 = 0
    public var isFragment = false
    /// A fragment other than the first: its transport header is elsewhere, so it is counted and skipped.
    public var isNonFirstFragment = false
    public var fragmentOffset: UInt16 = 0
    public var moreFragments = false
    /// Where the (innermost) IP header starts, and for fragments what reassembly needs: the
    /// datagram id, where the fragment's data lies, and for IPv6 the fragment header's offset,
    /// the header it names next and the offset of the field that names it.
    public var ipHeaderOffset = 0
    public var ipIdentification: UInt32 = 0
    public var fragmentDataOffset = 0
    public var fragmentDataEnd = 0
    public var fragmentHeaderOffset = 0
    public var fragmentNextHeader: UInt8 = 0
    public var fragmentNextHeaderField = 0

    // Transport layer
    public var transport: TransportLayer = .none
    public var sourcePort: UInt16 = 0
    public var destinationPort: UInt16 = 0
    public var tcpSequence: UInt32 = 0
    public var tcpAcknowledgement: UInt32 = 0
    public var tcpFlags = TCPFlags()
    public var tcpWindow: UInt16 = 0
    public var tcpMSS: UInt16 = 0
    public var tcpWindowScale: UInt8 = 0xFF
    public var tcpSACKPermitted = false
    public var tcpOptionsMalformed = false
    public var icmpType: UInt8 = 0
    public var icmpCode: UInt8 = 0

    /// Transport payload (TCP/UDP data; for ICMP the bytes after the 4-byte header).
    public var payloadOffset = 0
    public var payloadLength = 0
    /// Payload bytes the sender put on the wire, including any the snap length cut off.
    public var payloadWireLength = 0

    /// Why decoding stopped early, or nil when every layer present was decoded.
    public var stop: DecodeStop? = nil

    // Tunnels: the layers the packet came through, outermost first (the fields above describe
    // the innermost packet), and the outermost IP packet (EVE `tunnel`).
    public static let maximumTunnels = 4
    public var tunnelCount: UInt8 = 0
    public var tunnels = InlineArray<4, TunnelLayer>(repeating: TunnelLayer())
    public var outerSourceIP = IPAddress.none
    public var outerDestinationIP = IPAddress.none
    public var outerIPProtocol: UInt8 = 0
    public var outerSourcePort: UInt16 = 0
    public var outerDestinationPort: UInt16 = 0

    public init() {}

    public mutating func reset() { self = DecodedFrame() }

    /// A tunnel identity for the flow key: inner flows of two virtual networks or mirror
    /// sessions with the same inner addresses (two VXLAN/GENEVE VNIs, two ERSPAN sessions) stay
    /// apart. Not GRE keys (a mirroring GRE tunnel may key each direction differently: both
    /// directions are one flow) nor MPLS labels (per hop). 0 without one.
    public var tunnelIdentity: UInt32 {
        var identity: UInt32 = 0
        for index in 0..<Int(tunnelCount) where tunnels[index].hasIdentifier && tunnels[index].type.separatesFlows {
            identity = (identity &* 0x01000193) ^ (UInt32(tunnels[index].type.rawValue) << 24 | tunnels[index].identifier) &+ 1
        }
        return identity
    }

    /// Entering an encapsulated packet: what described the outer one is cleared (the link layer
    /// stays unless an inner Ethernet frame replaces it; tunnels are kept).
    mutating func enterTunnel(_ layer: TunnelLayer) {
        if tunnelCount == 0 && (network == .ipv4 || network == .ipv6) {
            outerSourceIP = sourceIP
            outerDestinationIP = destinationIP
            outerIPProtocol = ipProtocol
            outerSourcePort = hasPorts ? sourcePort : 0
            outerDestinationPort = hasPorts ? destinationPort : 0
        }
        tunnels[Int(tunnelCount)] = layer
        tunnelCount += 1
        network = .none; sourceIP = .none; destinationIP = .none; ipProtocol = 0; ttl = 0
        ipOptionsLength = 0; ipv6ExtensionHeaderCount = 0
        isFragment = false; isNonFirstFragment = false; fragmentOffset = 0; moreFragments = false
        transport = .none; sourcePort = 0; destinationPort = 0
        tcpSequence = 0; tcpAcknowledgement = 0; tcpFlags = TCPFlags(); tcpWindow = 0; tcpMSS = 0; tcpWindowScale = 0xFF
        tcpSACKPermitted = false; tcpOptionsMalformed = false; icmpType = 0; icmpCode = 0
        payloadOffset = 0; payloadLength = 0; payloadWireLength = 0
    }

    /// An inner Ethernet frame: its MACs and VLANs are the packet's.
    mutating func enterInnerEthernet() {
        vlanCount = 0; outerVLAN = 0; innerVLAN = 0
    }

    public var hasPorts: Bool { transport == .tcp || transport == .udp }
}
