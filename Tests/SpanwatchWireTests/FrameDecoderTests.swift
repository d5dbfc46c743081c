import SpanwatchProtocols
import SpanwatchWire
import Testing

/// Decodes `bytes` as an Ethernet frame (wire length = captured length unless given).
func decode(_ bytes: [UInt8], linkType: LinkType = .ethernet, wireLength: Int? = nil) -> DecodedFrame {
    var frame = DecodedFrame()
    bytes.withUnsafeBytes { raw in
        FrameDecoder.decode(raw.bytes, linkType: linkType, wireLength: wireLength ?? bytes.count, into: &frame)
    }
    return frame
}

let ethernetHeader: [UInt8] = [
    0x00, 0x80, 0xF4, 0x12, 0x34, 0x56,  // destination MAC
    0x00, 0x0C, 0x29, 0xAA, 0x00, 0x10,  // source MAC
    0x08, 0x00,                          // EtherType IPv4
]

let ipv4TCPHeader: [UInt8] = [
    0x45, 0x00, 0x00, 0x34,  // version 4, IHL 5; total length 52 (20 IP + 20 TCP + 12 data)
    0x00, 0x01, 0x40, 0x00,  // id 1; DF, offset 0
    0x40, 0x06, 0x00, 0x00,  // TTL 64, protocol TCP, checksum (not verified)
    0x0A, 0x0A, 0x01, 0x0A,  // source 10.10.1.10
    0x0A, 0x0A, 0x02, 0x14,  // destination 10.10.2.20
    0xC3, 0x50, 0x01, 0xF6,  // source port 50000, destination port 502
    0x00, 0x00, 0x03, 0xE8,  // sequence 1000
    0x00, 0x00, 0x13, 0x88,  // acknowledgement 5000
    0x50, 0x18, 0xFA, 0xF0,  // data offset 5; flags PSH|ACK; window 64240
    0x00, 0x00, 0x00, 0x00,  // checksum, urgent pointer
]

let modbusRequest: [UInt8] = [
    0x00, 0x01, 0x00, 0x00, 0x00, 0x06, 0x01,  // MBAP: tid 1, protocol 0, length 6, unit 1
    0x03, 0x00, 0x64, 0x00, 0x02,              // FC 3, address 100, quantity 2
]

@Suite struct FrameDecoderTests {
    @Test func ethernetIPv4TCPWithPayload() {
        let frame = decode(ethernetHeader + ipv4TCPHeader + modbusRequest)
        #expect(frame.stop == nil)
        #expect(frame.sourceMAC.description == "00:0c:29:aa:00:10")
        #expect(frame.destinationMAC.description == "00:80:f4:12:34:56")
        #expect(frame.network == .ipv4 && frame.transport == .tcp)
        #expect(frame.sourceIP.description == "10.10.1.10" && frame.destinationIP.description == "10.10.2.20")
        #expect(frame.sourcePort == 50000 && frame.destinationPort == 502)
        #expect(frame.tcpSequence == 1000 && frame.tcpAcknowledgement == 5000)
        #expect(frame.tcpFlags == [.psh, .ack])
        #expect(frame.payloadOffset == 54 && frame.payloadLength == 12)
    }

    @Test func ethernetPaddingIsNotPayload() {
        let frame = decode(ethernetHeader + ipv4TCPHeader + modbusRequest + [0, 0, 0, 0])
        #expect(frame.payloadLength == 12)
    }

    @Test func qinqKeepsBothTags() {
        var bytes = Array(ethernetHeader[0..<12])
        bytes += [0x88, 0xA8, 0x00, 0x64]  // 802.1ad, VID 100
        bytes += [0x81, 0x00, 0x00, 0x14]  // 802.1Q, VID 20
        bytes += [0x08, 0x00]
        let frame = decode(bytes + ipv4TCPHeader + modbusRequest)
        #expect(frame.vlanCount == 2 && frame.outerVLAN == 100 && frame.innerVLAN == 20)
        #expect(frame.transport == .tcp && frame.payloadLength == 12)
    }

    @Test func everyTruncationStopsAtTheRightLayerWithoutTrapping() {
        let full = ethernetHeader + ipv4TCPHeader + modbusRequest
        for length in 0..<(14 + 40) {
            let frame = decode(Array(full[0..<length]))
            let stop = try! #require(frame.stop, "length \(length)")
            // Past the Ethernet header, the IPv4 total length (52) promises bytes that are not there.
            let expected: WireLayer = length < 14 ? .link : .ipv4
            #expect(stop.layer == expected, "length \(length)")
            #expect(stop.isAnomaly)
            if length >= 14 { #expect(frame.hasEthernet) }
            if length >= 34 { #expect(frame.network == .ipv4 && frame.sourceIP.description == "10.10.1.10") }
        }
    }

    @Test func truncatedTCPHeaderInsideAConsistentIPPacket() {
        for tcpLength in 0..<20 {
            var ip = Array(ipv4TCPHeader[0..<20])
            ip[3] = UInt8(20 + tcpLength)
            let frame = decode(ethernetHeader + ip + Array(ipv4TCPHeader[20..<(20 + tcpLength)]))
            #expect(frame.stop == DecodeStop(layer: .tcp, reason: .truncated, required: 20, available: tcpLength))
            #expect(frame.stop?.eventName == "tcp.truncated")
        }
    }

    @Test func snaplenCutIsNotAnAnomalyAndKeepsL3Facts() {
        let full = ethernetHeader + ipv4TCPHeader + modbusRequest
        let frame = decode(Array(full[0..<40]), wireLength: full.count)
        #expect(frame.stop?.reason == .snaplen && frame.stop?.isAnomaly == false)
        #expect(frame.network == .ipv4 && frame.destinationIP.description == "10.10.2.20")
    }

    @Test func invalidIPv4Fields() {
        var badVersion = ethernetHeader + ipv4TCPHeader
        badVersion[14] = 0x55
        #expect(decode(badVersion).stop?.eventName == "ipv4.invalid_version")
        var badIHL = ethernetHeader + ipv4TCPHeader
        badIHL[14] = 0x44
        #expect(decode(badIHL).stop?.eventName == "ipv4.invalid_header_length")
        var badTotal = ethernetHeader + ipv4TCPHeader
        badTotal[17] = 0x10  // total length 16 < header
        #expect(decode(badTotal).stop?.eventName == "ipv4.invalid_total_length")
        var longTotal = ethernetHeader + ipv4TCPHeader
        longTotal[16] = 0x05  // claims 1332 bytes
        #expect(decode(longTotal).stop?.eventName == "ipv4.invalid_total_length")
        var badOffset = ethernetHeader + ipv4TCPHeader + modbusRequest
        badOffset[46] = 0x40  // TCP data offset 4 (< 5)
        #expect(decode(badOffset).stop?.eventName == "tcp.invalid_data_offset")
    }

    @Test func nonFirstFragmentIsFlaggedAndNotDecodedFurther() {
        var bytes = ethernetHeader + ipv4TCPHeader
        bytes[20] = 0x00; bytes[21] = 0x10  // offset 16 (x8 bytes)
        let frame = decode(bytes)
        #expect(frame.isFragment && frame.isNonFirstFragment)
        #expect(frame.transport == .none)
    }

    @Test func ipv6WithHopByHopAndFragmentHeaders() {
        var bytes = Array(ethernetHeader[0..<12]) + [0x86, 0xDD]
        bytes += [0x60, 0x00, 0x00, 0x00,  // version 6
                  0x00, 0x24, 0x00, 0x40]  // payload length 36 (8 hop-by-hop + 8 fragment + 8 UDP + 12), next header 0 (hop-by-hop)
        bytes += [0xFD, 0x00, 0x00, 0x10] + [UInt8](repeating: 0, count: 11) + [0x10]  // fd00:10::10
        bytes += [0xFD, 0x00, 0x00, 0x20] + [UInt8](repeating: 0, count: 11) + [0x20]  // fd00:20::20
        bytes += [44, 0, 1, 4, 0, 0, 0, 0]  // hop-by-hop: next fragment, length 0 (8 bytes), PadN
        bytes += [17, 0, 0x00, 0x00, 0, 0, 0, 1]  // fragment: next UDP, offset 0, M=0 (atomic), id 1
        bytes += [0x13, 0x88, 0x00, 0x35, 0x00, 0x14, 0x00, 0x00]  // UDP 5000 -> 53, length 20
        bytes += [UInt8](repeating: 0xAB, count: 12)
        let frame = decode(bytes)
        #expect(frame.stop == nil)
        #expect(frame.network == .ipv6 && frame.ipv6ExtensionHeaderCount == 2)
        #expect(frame.sourceIP.description == "fd00:10::10" && frame.destinationIP.description == "fd00:20::20")
        #expect(frame.isFragment == false)
        #expect(frame.transport == .udp && frame.destinationPort == 53 && frame.payloadLength == 12)
    }

    @Test func icmpTypeAndCode() {
        var ip = Array(ipv4TCPHeader[0..<20])
        ip[3] = 28; ip[9] = 1
        let frame = decode(ethernetHeader + ip + [8, 0, 0, 0, 0, 1, 0, 1])
        #expect(frame.transport == .icmp && frame.icmpType == 8 && frame.icmpCode == 0)
    }

    @Test func linuxCookedAndNullAndRaw() {
        let sll: [UInt8] = [0, 0, 0, 1, 0, 6] + [0, 0x0C, 0x29, 0xAA, 0, 0x10, 0, 0] + [0x08, 0x00]
        let a = decode(sll + ipv4TCPHeader + modbusRequest, linkType: .linuxCooked)
        #expect(a.transport == .tcp && a.payloadLength == 12 && a.sourceMAC.description == "00:0c:29:aa:00:10")
        let sll2: [UInt8] = [0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6] + [0, 0x0C, 0x29, 0xAA, 0, 0x10, 0, 0]
        #expect(decode(sll2 + ipv4TCPHeader + modbusRequest, linkType: .linuxCooked2).payloadLength == 12)
        let null: [UInt8] = [2, 0, 0, 0]  // AF_INET, little-endian host
        #expect(decode(null + ipv4TCPHeader + modbusRequest, linkType: .null).payloadLength == 12)
        #expect(decode(ipv4TCPHeader + modbusRequest, linkType: .raw).payloadLength == 12)
    }

    @Test func tcpOptionsAreReadAndBadOnesFlagged() {
        var tcp = Array(ipv4TCPHeader[20..<40])
        tcp[12] = 0x80  // data offset 8: 12 bytes of options
        let options: [UInt8] = [2, 4, 0x05, 0xB4, 1, 3, 3, 7, 4, 2, 0, 0]  // MSS 1460, NOP, WS 7, SACK permitted, EOL
        var ip = Array(ipv4TCPHeader[0..<20])
        ip[3] = 52
        let frame = decode(ethernetHeader + ip + tcp + options)
        #expect(frame.tcpMSS == 1460 && frame.tcpWindowScale == 7 && frame.tcpSACKPermitted && !frame.tcpOptionsMalformed)
        let bad: [UInt8] = [2, 40, 0, 0] + [UInt8](repeating: 0, count: 8)  // MSS with a length past the header
        #expect(decode(ethernetHeader + ip + tcp + bad).tcpOptionsMalformed)
    }

    @Test func addressesFormatAndParse() {
        #expect(IPAddress("2001:db8::1")!.description == "2001:db8::1")
        #expect(IPAddress("fe80:1:2:3:4:5:6:7")!.description == "fe80:1:2:3:4:5:6:7")
        #expect(IPAddress("2001:db8:0:0:1:0:0:1")!.description == "2001:db8::1:0:0:1")
        #expect(IPAddress("::")!.description == "::")
        #expect(IPAddress("192.168.0.1")!.description == "192.168.0.1")
        #expect(IPAddress("300.1.1.1") == nil)
    }
}
