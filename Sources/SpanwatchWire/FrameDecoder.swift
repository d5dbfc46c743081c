/// Decodes one captured frame from its link layer down to the transport payload.
///
/// Stateless and allocation-free: the caller owns one `DecodedFrame` and passes it in for
/// every frame. Decoding is lax: it goes as far as the bytes allow, keeps what it
/// learned, and records in `frame.stop` which layer stopped it and why.
public enum FrameDecoder {
    static let ipProtocolTCP: UInt8 = 6
    static let ipProtocolUDP: UInt8 = 17
    static let ipProtocolICMP: UInt8 = 1
    static let ipProtocolICMPv6: UInt8 = 58
    /// BSD address families that mean IPv6 (NetBSD/OpenBSD 24, FreeBSD 28, Darwin 30).
    static let nullIPv6Families: Set<UInt32> = [24, 28, 30]

    /// - Parameters:
    ///   - bytes: the captured bytes of the frame.
    ///   - linkType: the capture's link type.
    ///   - wireLength: the frame's length on the wire (pcap `len`); when it exceeds the
    ///     captured length, short headers are snap-length cuts, not anomalies.
    public static func decode(_ bytes: RawSpan, linkType: LinkType, wireLength: Int, into frame: inout DecodedFrame) {
        frame.reset()
        let snapped = wireLength > bytes.byteCount
        var l3Offset: Int
        var etherType: UInt16

        switch linkType {
        case .ethernet:
            guard let offset = Ethernet.decode(bytes, into: &frame, snapped: snapped) else { return }
            l3Offset = offset
            etherType = frame.etherType
        case .linuxCooked, .linuxCooked2:
            guard let offset = LinuxCooked.decode(bytes, version: linkType == .linuxCooked2 ? 2 : 1, into: &frame, snapped: snapped) else { return }
            l3Offset = offset
            etherType = frame.etherType
        case .raw, .rawOpenBSD, .linktypeRaw, .rawIPv4, .rawIPv6:
            l3Offset = 0
            guard bytes.byteCount >= 1 else {
                frame.stop = DecodeStop(layer: .link, reason: snapped ? .snaplen : .truncated, required: 1, available: 0)
                return
            }
            etherType = bytes.u8(0) >> 4 == 6 ? EtherType.ipv6 : EtherType.ipv4
        case .null, .loop:
            guard bytes.byteCount >= 4 else {
                frame.stop = DecodeStop(layer: .link, reason: snapped ? .snaplen : .truncated, required: 4, available: bytes.byteCount)
                return
            }
            // The family is in the capturing host's byte order for DLT_NULL: accept both.
            let family = linkType == .loop ? bytes.u32be(0) : bytes.u32le(0)
            let swapped = family.byteSwapped
            if family == 2 || swapped == 2 {
                etherType = EtherType.ipv4
            } else if nullIPv6Families.contains(family) || nullIPv6Families.contains(swapped) {
                etherType = EtherType.ipv6
            } else {
                frame.network = .other
                return
            }
            l3Offset = 4
        default:
            frame.stop = DecodeStop(layer: .link, reason: .invalidVersion)
            return
        }

        // The packet, and each packet it encapsulates (tunnels: outermost first, bounded).
        var next = InnerStart.etherType(offset: l3Offset, etherType: etherType)
        while true {
            var offset: Int
            var type: UInt16
            switch next {
            case .ethernet(let at):
                frame.enterInnerEthernet()
                guard let inner = Ethernet.decode(bytes, at: at, into: &frame, snapped: snapped) else { return }
                offset = inner
                type = frame.etherType
            case .ip(let at, let innerType):
                offset = at
                type = innerType
                // An IP packet out of a tunnel: the link addresses were the tunnel endpoints'
                // (PPPoE's are the subscriber's own).
                if frame.tunnelCount > 0, frame.tunnels[Int(frame.tunnelCount) - 1].type != .pppoe {
                    frame.hasEthernet = false
                    frame.sourceMAC = MACAddress(raw: 0)
                    frame.destinationMAC = MACAddress(raw: 0)
                }
            case .etherType(let at, let innerType):
                offset = at
                type = innerType
            }

            let l3: (start: Int, end: Int, wireEnd: Int)
            switch type {
            case EtherType.ipv4:
                guard let decoded = IPv4.decode(bytes, at: offset, into: &frame, snapped: snapped) else { return }
                l3 = decoded
            case EtherType.ipv6:
                guard let decoded = IPv6.decode(bytes, at: offset, into: &frame, snapped: snapped) else { return }
                l3 = decoded
            case EtherType.arp:
                frame.network = .arp
                return
            case Tunnels.mplsUnicast, Tunnels.mplsMulticast, Tunnels.pppoeSession:
                let found = type == Tunnels.pppoeSession ? Tunnels.pppoe(bytes, at: offset) : Tunnels.mpls(bytes, at: offset)
                guard let (layer, inner) = found else {
                    frame.network = .other
                    return
                }
                guard enter(layer, into: &frame) else { return }
                next = inner
                continue
            default:
                frame.network = .other
                return
            }
            if frame.isNonFirstFragment {
                return  // counted by the caller; reassembly of IP fragments comes later
            }

            // IP-level encapsulations (not in a first fragment: its payload is incomplete).
            if !frame.isFragment {
                var found: (TunnelLayer, InnerStart)? = nil
                switch frame.ipProtocol {
                case Tunnels.greProtocol: found = Tunnels.gre(bytes, at: l3.start, end: l3.end, udp: false)
                case Tunnels.ipv4InIP: found = (TunnelLayer(.ipip), .ip(offset: l3.start, etherType: EtherType.ipv4))
                case Tunnels.ipv6InIP: found = (TunnelLayer(.ipip), .ip(offset: l3.start, etherType: EtherType.ipv6))
                default: break
                }
                if let (layer, inner) = found {
                    guard enter(layer, into: &frame) else { return }
                    next = inner
                    continue
                }
            }

            switch frame.ipProtocol {
            case ipProtocolTCP:
                guard let start = TCP.decode(bytes, at: l3.start, end: l3.end, into: &frame, snapped: snapped) else { return }
                frame.payloadOffset = start
                frame.payloadLength = l3.end - start
                frame.payloadWireLength = max(l3.wireEnd - start, frame.payloadLength)
            case ipProtocolUDP:
                guard let range = UDP.decode(bytes, at: l3.start, end: l3.end, into: &frame, snapped: snapped) else { return }
                frame.payloadOffset = range.start
                frame.payloadLength = range.end - range.start
                frame.payloadWireLength = frame.payloadLength
                if !frame.isFragment,
                   let (layer, inner) = Tunnels.udp(bytes, payload: range.start, end: range.end,
                                                    sourcePort: frame.sourcePort, destinationPort: frame.destinationPort) {
                    guard enter(layer, into: &frame) else { return }
                    next = inner
                    continue
                }
            case ipProtocolICMP, ipProtocolICMPv6:
                let v6 = frame.ipProtocol == ipProtocolICMPv6
                guard let start = ICMP.decode(bytes, at: l3.start, end: l3.end, version6: v6, into: &frame, snapped: snapped) else { return }
                frame.payloadOffset = start
                frame.payloadLength = l3.end - start
                frame.payloadWireLength = frame.payloadLength
            default:
                frame.transport = .other
                frame.payloadOffset = l3.start
                frame.payloadLength = l3.end - l3.start
            }
            return
        }
    }

    /// Goes into one more tunnel layer, or (past `DecodedFrame.maximumTunnels`) stops with a
    /// `tunnel.too_deep` anomaly, leaving the frame as the outer packet it decoded last.
    static func enter(_ layer: TunnelLayer, into frame: inout DecodedFrame) -> Bool {
        guard Int(frame.tunnelCount) < DecodedFrame.maximumTunnels else {
            frame.stop = DecodeStop(layer: .tunnel, reason: .tooManyTunnels)
            return false
        }
        frame.enterTunnel(layer)
        return true
    }
}
