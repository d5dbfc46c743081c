import SpanwatchWire
import Testing

/// Encapsulations built byte by byte: each decodes to its inner packet, keeps what identifies
/// it, and stops with a named anomaly when it is cut short or nested too deep.
@Suite struct TunnelTests {
    static func ethernet(_ type: UInt16, source: UInt8 = 1, destination: UInt8 = 2) -> [UInt8] {
        [0, 0, 0, 0, 0, destination, 0, 0, 0, 0, 0, source, UInt8(type >> 8), UInt8(type & 0xFF)]
    }

    /// An IPv4 header (no options) around `payload`.
    static func ipv4(_ proto: UInt8, _ source: [UInt8], _ destination: [UInt8], _ payload: [UInt8]) -> [UInt8] {
        let total = 20 + payload.count
        return [0x45, 0, UInt8(total >> 8), UInt8(total & 0xFF), 0, 0, 0, 0, 64, proto, 0, 0] + source + destination + payload
    }

    static func udp(_ sport: UInt16, _ dport: UInt16, _ payload: [UInt8]) -> [UInt8] {
        let length = 8 + payload.count
        return [UInt8(sport >> 8), UInt8(sport & 0xFF), UInt8(dport >> 8), UInt8(dport & 0xFF), UInt8(length >> 8), UInt8(length & 0xFF), 0, 0] + payload
    }

    /// An inner packet: UDP 10.0.0.1:1000 -> 10.0.0.2:2000 carrying "hi".
    static let inner = ipv4(17, [10, 0, 0, 1], [10, 0, 0, 2], udp(1000, 2000, [0x68, 0x69]))

    static func vxlan(_ vni: UInt32, _ frame: [UInt8]) -> [UInt8] {
        ethernet(0x0800) + ipv4(17, [192, 168, 0, 1], [192, 168, 0, 2],
                                udp(40000, 4789, [0x08, 0, 0, 0, UInt8(vni >> 16), UInt8((vni >> 8) & 0xFF), UInt8(vni & 0xFF), 0] + frame))
    }

    static func gre(key: UInt32?, _ protocolType: UInt16, _ payload: [UInt8]) -> [UInt8] {
        var header: [UInt8] = [key == nil ? 0x00 : 0x20, 0, UInt8(protocolType >> 8), UInt8(protocolType & 0xFF)]
        if let key { header += [UInt8(key >> 24), UInt8((key >> 16) & 0xFF), UInt8((key >> 8) & 0xFF), UInt8(key & 0xFF)] }
        return header + payload
    }

    static func decode(_ bytes: [UInt8]) -> DecodedFrame {
        var frame = DecodedFrame()
        bytes.withUnsafeBytes { FrameDecoder.decode($0.bytes, linkType: .ethernet, wireLength: bytes.count, into: &frame) }
        return frame
    }

    @Test func vxlanDecodesTheInnerFrameAndItsVNISeparatesFlows() {
        let one = Self.decode(Self.vxlan(7, Self.ethernet(0x0800, source: 0x11, destination: 0x22) + Self.inner))
        #expect(one.stop == nil && one.transport == .udp && one.sourceIP == IPAddress("10.0.0.1") && one.destinationPort == 2000)
        #expect(one.payloadLength == 2 && one.sourceMAC.description == "00:00:00:00:00:11")  // the mirrored frame's MACs
        #expect(one.tunnelCount == 1 && one.tunnels[0].type == .vxlan && one.tunnels[0].identifier == 7)
        #expect(one.outerSourceIP == IPAddress("192.168.0.1") && one.outerDestinationPort == 4789)
        let other = Self.decode(Self.vxlan(8, Self.ethernet(0x0800) + Self.inner))
        #expect(one.tunnelIdentity != 0 && one.tunnelIdentity != other.tunnelIdentity)
    }

    /// GRE keys are recorded but keep one flow: a mirroring tunnel may key each direction apart.
    @Test func greKeysAreKeptButDoNotSeparateFlows() {
        let outer = { (key: UInt32) in Self.ethernet(0x0800) + Self.ipv4(47, [1, 1, 1, 1], [2, 2, 2, 2], Self.gre(key: key, 0x0800, Self.inner)) }
        let a = Self.decode(outer(0)), b = Self.decode(outer(0x0200_0000))
        #expect(a.tunnels[0].type == .gre && a.tunnels[0].hasIdentifier && b.tunnels[0].identifier == 0x0200_0000)
        #expect(a.tunnelIdentity == 0 && b.tunnelIdentity == 0 && a.sourceIP == IPAddress("10.0.0.1"))
        #expect(!a.hasEthernet)  // the outer MACs were the tunnel routers'
    }

    @Test func erspanTypeIIIWithItsSessionAndVLAN() {
        // ERSPAN III header: ver 2, VLAN 20 | session 5 | timestamp | SGT | flags without O.
        let erspan: [UInt8] = [0x20, 0x14, 0x00, 0x05, 0, 0, 0, 1, 0, 0, 0, 0]
        let frame = Self.decode(Self.ethernet(0x0800) + Self.ipv4(47, [1, 1, 1, 1], [2, 2, 2, 2],
                                                                 Self.gre(key: nil, 0x22EB, erspan + Self.ethernet(0x0800) + Self.inner)))
        #expect(frame.tunnels[0].type == .erspan3 && frame.tunnels[0].identifier == 5 && frame.tunnels[0].vlan == 20)
        #expect(frame.transport == .udp && frame.hasEthernet && frame.sourceIP == IPAddress("10.0.0.1"))
    }

    @Test func mplsWithAPseudowireControlWordCarriesEthernet() {
        // Two labels (100, then 200 bottom-of-stack), a control word, an Ethernet frame.
        let stack: [UInt8] = [0x00, 0x06, 0x40, 0x40, 0x00, 0x0C, 0x81, 0x40, 0, 0, 0, 0]
        let frame = Self.decode(Self.ethernet(0x8847) + stack + Self.ethernet(0x0800) + Self.inner)
        #expect(frame.tunnels[0].type == .mpls && frame.tunnels[0].identifier == 200 && frame.destinationPort == 2000)
    }

    @Test func pppoeSessionsCarryIP() {
        let pppoe: [UInt8] = [0x11, 0x00, 0x12, 0x34, 0x00, UInt8(Self.inner.count + 2), 0x00, 0x21]
        let frame = Self.decode(Self.ethernet(0x8864) + pppoe + Self.inner)
        #expect(frame.tunnels[0].type == .pppoe && frame.tunnels[0].identifier == 0x1234 && frame.transport == .udp)
        #expect(frame.hasEthernet)  // the subscriber's own MAC
    }

    /// Past four layers decoding stops at the fourth with `tunnel.too_deep`; a cut inner frame is
    /// `tunnel.truncated`.
    @Test func depthIsBoundedAndCutsAreNamed() {
        var packet = Self.inner
        for _ in 0..<5 { packet = Self.ipv4(4, [9, 9, 9, 9], [8, 8, 8, 8], packet) }
        let deep = Self.decode(Self.ethernet(0x0800) + packet)
        #expect(deep.stop?.eventName == "tunnel.too_deep" && deep.stop?.isAnomaly == true && deep.tunnelCount == 4)
        let cut = Self.decode(Self.vxlan(7, Array(Self.ethernet(0x0800).prefix(10))))
        #expect(cut.stop?.eventName == "tunnel.truncated", "\(String(describing: cut.stop))")
    }

    /// UDP on a tunnel port that is not the encapsulation stays plain UDP.
    @Test func aPortIsNotProof() {
        let notVXLAN = Self.decode(Self.ethernet(0x0800) + Self.ipv4(17, [1, 1, 1, 1], [2, 2, 2, 2], Self.udp(5000, 4789, [0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15])))
        #expect(notVXLAN.tunnelCount == 0 && notVXLAN.destinationPort == 4789 && notVXLAN.payloadLength == 16)
        let notTeredo = Self.decode(Self.ethernet(0x0800) + Self.ipv4(17, [1, 1, 1, 1], [2, 2, 2, 2], Self.udp(3544, 5000, Array(repeating: 0x45, count: 48))))
        #expect(notTeredo.tunnelCount == 0)
    }
}
