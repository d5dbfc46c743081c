// Encapsulations a mirrored or routed packet arrives in, decoded down to the inner packet.
//
// GRE (RFC 2784, 2890)       flags C R K S .. version | protocol type | [checksum, reserved] [key] [sequence]
//   protocol 0x0800/0x86DD   an IP packet; 0x6558 an Ethernet frame (transparent bridging);
//   0x8847 MPLS; 0x88BE ERSPAN type II (type I when the sequence bit is clear: no ERSPAN
//   header); 0x22EB ERSPAN type III.
// ERSPAN II  (8 bytes)       ver:4 vlan:12 | cos:3 en:2 t:1 session:10 | reserved:12 index:20
// ERSPAN III (12, +8 with O) ver:4 vlan:12 | cos:3 bso:2 t:1 session:10 | timestamp:32 | sgt:16 | p ft:5 hw:6 d gra:2 o
// VXLAN (RFC 7348, UDP 4789) flags (0x08: VNI valid) | reserved:24 | VNI:24 | reserved:8, then Ethernet
// GENEVE (RFC 8926, 6081)    ver:2 optlen:6 | o c rsvd | protocol type | VNI:24 | rsvd, options (optlen*4)
// GRE in UDP (RFC 8086, 4754) a GRE header as above
// Teredo (RFC 4380, 3544)    [authentication 0x0001 ...] [origin indication 0x0000 + 6] then IPv6
// MPLS (RFC 3032)            label:20 tc:3 s:1 ttl:8, until s; then IPv4, IPv6, or a pseudowire
//                            control word (first nibble 0) and an Ethernet frame
// PPPoE session (RFC 2516)   ver/type 0x11 | code 0 | session id | length | PPP protocol (0x0021, 0x0057)
// IP in IP (RFC 2003, 4213)  IP protocol 4 (IPv4) or 41 (IPv6) right after the outer header

/// The kind of one encapsulation layer.
public enum TunnelType: UInt8, Sendable, CustomStringConvertible {
    case gre, erspan1, erspan2, erspan3, vxlan, geneve, greUDP, teredo, mpls, ipip, pppoe

    public var description: String { name.description }

    /// The name EVE writes (`spanwatch.tunnels[].type`).
    public var name: StaticString {
        switch self {
        case .gre: "gre"
        case .erspan1, .erspan2, .erspan3: "erspan"
        case .vxlan: "vxlan"
        case .geneve: "geneve"
        case .greUDP: "gre_udp"
        case .teredo: "teredo"
        case .mpls: "mpls"
        case .ipip: "ipip"
        case .pppoe: "pppoe"
        }
    }

    /// Whether its identifier keeps apart flows with the same inner addresses (a virtual network,
    /// a mirror session).
    public var separatesFlows: Bool {
        switch self {
        case .vxlan, .geneve, .erspan2, .erspan3: true
        default: false
        }
    }

    /// The name of the tunnel's identifier, when it has one (`vni`, `session_id`, `key`, `label`).
    public var identifierName: StaticString? {
        switch self {
        case .vxlan, .geneve: "vni"
        case .erspan2, .erspan3, .pppoe: "session_id"
        case .gre, .greUDP: "key"
        case .mpls: "label"
        case .erspan1, .teredo, .ipip: nil
        }
    }
}

/// One encapsulation layer a packet came through (outermost first in `DecodedFrame.tunnels`).
public struct TunnelLayer: Sendable, Equatable {
    public var type: TunnelType = .gre
    /// VNI, ERSPAN session id, GRE key, bottom MPLS label, PPPoE session (when `hasIdentifier`).
    public var identifier: UInt32 = 0
    public var hasIdentifier = false
    /// ERSPAN: the VLAN of the mirrored frame's original port.
    public var vlan: UInt16 = 0
    /// ERSPAN version (1, 2, 3).
    public var version: UInt8 = 0
    public init() {}
    init(_ type: TunnelType, identifier: UInt32? = nil) {
        self.type = type
        if let identifier {
            self.identifier = identifier
            hasIdentifier = true
        }
    }
}

/// Where decoding goes on after an encapsulation header: an IP packet, an Ethernet frame, or MPLS.
enum InnerStart: Equatable {
    case ip(offset: Int, etherType: UInt16)
    case ethernet(offset: Int)
    case etherType(offset: Int, etherType: UInt16)
}

enum Tunnels {
    static let greProtocol: UInt8 = 47
    static let ipv4InIP: UInt8 = 4
    static let ipv6InIP: UInt8 = 41
    static let vxlanPort: UInt16 = 4789
    static let genevePort: UInt16 = 6081
    static let greUDPPort: UInt16 = 4754
    static let teredoPort: UInt16 = 3544
    static let transparentEthernet: UInt16 = 0x6558
    static let erspanII: UInt16 = 0x88BE
    static let erspanIII: UInt16 = 0x22EB
    static let mplsUnicast: UInt16 = 0x8847
    static let mplsMulticast: UInt16 = 0x8848
    static let pppoeSession: UInt16 = 0x8864
    static let maximumMPLSLabels = 8

    /// A GRE header at `offset` (within `end`): the layer and where its payload starts, or nil
    /// when it is not one this decoder follows (routing present, version 1 PPTP, other payloads).
    static func gre(_ bytes: RawSpan, at offset: Int, end: Int, udp: Bool) -> (TunnelLayer, InnerStart)? {
        guard end - offset >= 4 else { return nil }
        let flags = bytes.u16be(offset)
        let protocolType = bytes.u16be(offset + 2)
        guard flags & 0x4000 == 0, flags & 0x0007 == 0 else { return nil }  // no routing; version 0
        var at = offset + 4
        if flags & 0x8000 != 0 { at += 4 }  // checksum and reserved
        var key: UInt32? = nil
        if flags & 0x2000 != 0 {
            guard end - at >= 4 else { return nil }
            key = bytes.u32be(at)
            at += 4
        }
        let sequenced = flags & 0x1000 != 0
        if sequenced { at += 4 }
        guard at <= end else { return nil }
        let type: TunnelType = udp ? .greUDP : .gre
        switch protocolType {
        case EtherType.ipv4, EtherType.ipv6:
            return (TunnelLayer(type, identifier: key), .ip(offset: at, etherType: protocolType))
        case transparentEthernet:
            return (TunnelLayer(type, identifier: key), .ethernet(offset: at))
        case mplsUnicast, mplsMulticast:
            return (TunnelLayer(type, identifier: key), .etherType(offset: at, etherType: protocolType))
        case erspanII where !sequenced:
            var layer = TunnelLayer(.erspan1)
            layer.version = 1
            return (layer, .ethernet(offset: at))
        case erspanII:
            guard end - at >= 8, bytes.u8(at) >> 4 == 1 else { return nil }
            var layer = TunnelLayer(.erspan2, identifier: UInt32(bytes.u16be(at + 2) & 0x03FF))
            layer.vlan = bytes.u16be(at) & 0x0FFF
            layer.version = 2
            return (layer, .ethernet(offset: at + 8))
        case erspanIII:
            guard end - at >= 12, bytes.u8(at) >> 4 == 2 else { return nil }
            var layer = TunnelLayer(.erspan3, identifier: UInt32(bytes.u16be(at + 2) & 0x03FF))
            layer.vlan = bytes.u16be(at) & 0x0FFF
            layer.version = 3
            let platformSpecific = bytes.u8(at + 11) & 0x01 != 0
            return (layer, .ethernet(offset: at + 12 + (platformSpecific ? 8 : 0)))
        default:
            return nil
        }
    }

    /// A UDP-carried encapsulation on its port: VXLAN, GENEVE, GRE in UDP, Teredo.
    static func udp(_ bytes: RawSpan, payload: Int, end: Int, sourcePort: UInt16, destinationPort: UInt16) -> (TunnelLayer, InnerStart)? {
        let length = end - payload
        func on(_ port: UInt16) -> Bool { destinationPort == port || sourcePort == port }
        if destinationPort == vxlanPort, length >= 16, bytes.u8(payload) & 0x08 != 0 {
            return (TunnelLayer(.vxlan, identifier: bytes.u32be(payload + 4) >> 8), .ethernet(offset: payload + 8))
        }
        if destinationPort == genevePort, length >= 8, bytes.u8(payload) >> 6 == 0 {
            let options = Int(bytes.u8(payload) & 0x3F) * 4
            let inner = payload + 8 + options
            guard inner <= end else { return nil }
            let vni = bytes.u32be(payload + 4) >> 8
            switch bytes.u16be(payload + 2) {
            case transparentEthernet: return (TunnelLayer(.geneve, identifier: vni), .ethernet(offset: inner))
            case EtherType.ipv4, EtherType.ipv6: return (TunnelLayer(.geneve, identifier: vni), .ip(offset: inner, etherType: bytes.u16be(payload + 2)))
            default: return nil
            }
        }
        if destinationPort == greUDPPort {
            return gre(bytes, at: payload, end: end, udp: true)
        }
        if on(teredoPort), length >= 40 {
            var at = payload
            if bytes.u16be(at) == 0x0001, length >= 4 {  // authentication: id and auth lengths, nonce (8), confirmation (1)
                at += 4 + Int(bytes.u8(at + 2)) + Int(bytes.u8(at + 3)) + 9
            }
            if at + 2 <= end, bytes.u16be(at) == 0x0000 { at += 8 }  // origin indication
            guard at + 40 <= end, bytes.u8(at) >> 4 == 6 else { return nil }
            let payloadLength = Int(bytes.u16be(at + 4))
            guard at + 40 + payloadLength == end else { return nil }  // a whole IPv6 packet, nothing else
            return (TunnelLayer(.teredo), .ip(offset: at, etherType: EtherType.ipv6))
        }
        return nil
    }

    /// An MPLS label stack at `offset`: the bottom label and where its payload starts.
    static func mpls(_ bytes: RawSpan, at offset: Int) -> (TunnelLayer, InnerStart)? {
        var at = offset
        for _ in 0..<maximumMPLSLabels {
            guard bytes.byteCount - at >= 4 else { return nil }
            let entry = bytes.u32be(at)
            at += 4
            guard entry & 0x100 != 0 else { continue }  // bottom of stack
            let layer = TunnelLayer(.mpls, identifier: entry >> 12)
            guard bytes.byteCount > at else { return nil }
            switch bytes.u8(at) >> 4 {
            case 4: return (layer, .ip(offset: at, etherType: EtherType.ipv4))
            case 6: return (layer, .ip(offset: at, etherType: EtherType.ipv6))
            case 0: return (layer, .ethernet(offset: at + 4))  // pseudowire control word, then Ethernet
            default: return nil
            }
        }
        return nil
    }

    /// A PPPoE session header at `offset`: the session and the IP packet after the PPP protocol.
    static func pppoe(_ bytes: RawSpan, at offset: Int) -> (TunnelLayer, InnerStart)? {
        guard bytes.byteCount - offset >= 8, bytes.u8(offset) == 0x11, bytes.u8(offset + 1) == 0 else { return nil }
        let layer = TunnelLayer(.pppoe, identifier: UInt32(bytes.u16be(offset + 2)))
        switch bytes.u16be(offset + 6) {
        case 0x0021: return (layer, .ip(offset: offset + 8, etherType: EtherType.ipv4))
        case 0x0057: return (layer, .ip(offset: offset + 8, etherType: EtherType.ipv6))
        default: return nil
        }
    }
}
