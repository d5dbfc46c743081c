import Foundation
import Testing

/// Remote SPAN and tunnels on real captures (../shared/pcaps/tunnels and edge/): each
/// encapsulation is decoded down to the inner packet, whose flow carries the outer addresses in
/// Suricata's `tunnel` object and the layers in `spanwatch.tunnels`. Packet counts are tshark's
/// frames of the inner protocol (`tshark -r FILE -Y ...`).
@Suite struct TunnelCorpusTests {
    static let binary = LiveCaptureTests.binary
    static var canRun: Bool { SharedCorpus.pcaps != nil && FileManager.default.isExecutableFile(atPath: binary) }

    /// The flow records of a capture, as JSON.
    static func flows(_ capture: String, types: String = "flow") throws -> [[String: Any]] {
        let path = SharedCorpus.pcaps!.appendingPathComponent(capture).path
        let result = try LiveCaptureTests.run([binary, "decode", "-r", path, "--types", types])
        return result.output.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    static func layers(_ record: [String: Any]) -> [[String: Any]] { (record["spanwatch"] as? [String: Any])?["tunnels"] as? [[String: Any]] ?? [] }
    static func packets(_ record: [String: Any]) -> Int {
        let flow = record["flow"] as? [String: Any] ?? [:]
        return (flow["pkts_toserver"] as? Int ?? 0) + (flow["pkts_toclient"] as? Int ?? 0)
    }

    struct Case: Sendable, CustomStringConvertible {
        var capture: String
        /// Expected `spanwatch.tunnels` of the tunnelled flows (type and identifier fields).
        var layers: [[String: String]]
        /// Inner packets (tshark's count of frames of the inner protocol).
        var packets: Int
        /// An inner flow that must be there: "SRC DEST PROTO".
        var flow: String
        var outer: String
        var description: String { capture }
    }

    static let cases: [Case] = [
        Case(capture: "tunnels/zeek-erspanI.pcap", layers: [["type": "erspan", "version": "1"]], packets: 10,
             flow: "172.16.133.2 172.217.11.78 ICMP", outer: "192.168.1.1 192.168.1.2 GRE"),
        Case(capture: "tunnels/zeek-erspanII.pcap", layers: [["type": "erspan", "version": "2", "session_id": "100", "vlan": "23"]], packets: 4,
             flow: "23.0.0.2 23.0.0.3 ICMP", outer: "2.2.2.2 1.1.1.1 GRE"),
        Case(capture: "tunnels/zeek-erspanIII.pcap", layers: [["type": "erspan", "version": "3", "session_id": "0", "vlan": "20"]], packets: 2,
             flow: "192.168.15.47 1.1.1.1 ICMP", outer: "10.0.0.1 10.0.0.2 GRE"),
        Case(capture: "tunnels/zeek-gre-erspan3-dot1q.pcap", layers: [["type": "erspan", "version": "3", "session_id": "0", "vlan": "10"]], packets: 2,
             flow: "172.31.10.31 172.31.10.2 ICMP", outer: "172.31.1.23 172.31.1.135 GRE"),
        Case(capture: "tunnels/zeek-geneve.pcap", layers: [["type": "geneve", "vni": "0"]], packets: 6,
             flow: "30.0.0.1 30.0.0.2 ICMP", outer: "20.0.0.1 20.0.0.2 UDP"),
        Case(capture: "tunnels/zeek-gre-within-gre.pcap", layers: [["type": "gre"], ["type": "gre"]], packets: 628,
             flow: "10.10.25.1 192.168.1.2 ICMP", outer: "72.205.54.70 86.106.164.150 GRE"),
        Case(capture: "tunnels/zeek-gre-over-udp-4754.pcap", layers: [["type": "gre_udp"]], packets: 14,
             flow: "172.17.0.2 1.1.1.1 UDP", outer: "192.168.0.107 192.168.5.1 UDP"),
        Case(capture: "tunnels/zeek-4in4.pcap", layers: [["type": "ipip"]], packets: 1, flow: "10.0.0.1 10.0.0.2 UDP", outer: "1.2.3.4 5.6.7.8 IPv4"),
        Case(capture: "tunnels/zeek-6in4.pcap", layers: [["type": "ipip"]], packets: 1, flow: "dead::beef cafe::babe UDP", outer: "1.2.3.4 5.6.7.8 IPv6"),
        Case(capture: "edge/dns-vxlan-triple.pcap", layers: [["type": "vxlan", "vni": "1"], ["type": "vxlan", "vni": "2"], ["type": "vxlan", "vni": "3"]],
             packets: 1, flow: "4.4.4.4 4.4.4.9 UDP", outer: "1.1.1.1 1.1.1.9 UDP"),
    ]

    @Test(.enabled(if: canRun, "needs ../shared/pcaps and a built spanwatch"), arguments: cases)
    func theInnerPacketIsTheFlow(_ expected: Case) throws {
        let tunnelled = try Self.flows(expected.capture).filter { !Self.layers($0).isEmpty }
        let layers = Set(tunnelled.map { Self.layers($0).map { layer in layer.mapValues { "\($0)" } } })
        #expect(layers == [expected.layers], "\(tunnelled)")
        #expect(tunnelled.reduce(0) { $0 + Self.packets($1) } == expected.packets)
        let flow = try #require(tunnelled.first { "\($0["src_ip"]!) \($0["dest_ip"]!) \($0["proto"]!)" == expected.flow }, "\(tunnelled.map { "\($0["src_ip"]!) \($0["dest_ip"]!)" })")
        let outer = try #require(flow["tunnel"] as? [String: Any])
        #expect("\(outer["src_ip"]!) \(outer["dest_ip"]!) \(outer["proto"]!)" == expected.outer)
        #expect(outer["depth"] as? Int == expected.layers.count)
        #expect(Set(outer.keys).isSubset(of: ["src_ip", "dest_ip", "src_port", "dest_port", "proto", "depth", "pcap_cnt", "pkt_src"]))  // Suricata's schema
    }

    /// Applications inside tunnels are decoded: DNS and HTTP inside GRE over UDP, HTTP inside
    /// ERSPAN, DNS three VXLANs deep, HTTP over MPLS in a VLAN, HTTP and DNS over Teredo.
    @Test(.enabled(if: canRun, "needs ../shared/pcaps and a built spanwatch"))
    func applicationsInsideTunnelsAreDecoded() throws {
        func count(_ capture: String, _ type: String) throws -> Int {
            try Self.flows(capture, types: type).filter { $0["event_type"] as? String == type && !Self.layers($0).isEmpty }.count
        }
        #expect(try count("tunnels/zeek-gre-over-udp-4754.pcap", "dns") == 4)
        #expect(try count("tunnels/zeek-gre-over-udp-4754.pcap", "http") == 1)
        #expect(try count("tunnels/zeek-erspan.pcap", "http") == 22)
        #expect(try count("edge/dns-vxlan-triple.pcap", "dns") == 1)
        #expect(try count("edge/http-mpls-in-vlan.pcap", "http") == 1)  // of its two, the one over MPLS (label 99)
        #expect(try count("tunnels/zeek-Teredo.pcap", "flow") == 4)
    }

    /// A mirroring GRE tunnel that keys each direction differently (0 and 0x02000000): both
    /// directions are one flow, so TCP sessions are whole.
    @Test(.enabled(if: canRun, "needs ../shared/pcaps and a built spanwatch"))
    func greKeysDoNotSplitAFlow() throws {
        let tcp = try Self.flows("tunnels/zeek-erspan.pcap").filter { $0["proto"] as? String == "TCP" && !Self.layers($0).isEmpty }
        #expect(!tcp.isEmpty && tcp.allSatisfy { (($0["flow"] as? [String: Any])?["pkts_toclient"] as? Int ?? 0) > 0 })
    }
}
