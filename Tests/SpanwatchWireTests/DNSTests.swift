import SpanwatchProtocols
import SpanwatchWire
import Testing

@Suite struct DNSTests {
    func text(_ message: [UInt8], at offset: Int) -> String? {
        message.withUnsafeBytes { raw in
            var out: [UInt8] = []
            return DNS.appendName(raw.bytes, at: offset, to: &out) ? String(decoding: out, as: UTF8.self) : nil
        }
    }

    // A response for plc.example A (id 0x1234, flags 8180: QR RD RA, NOERROR):
    //   1234 8180 0001 0001 0000 0001       header: 1 question, 1 answer, 1 additional
    //   03 706c63 07 6578616d706c65 00      plc.example
    //   0001 0001                           type A, class IN
    //   c00c 0001 0001 0000003c 0004 0a000001   answer: pointer to offset 12, A, TTL 60, 10.0.0.1
    //   00 0029 1000 00008000 0000          OPT: root, UDP size 4096, DO bit
    static let response = hexBytes("1234818000010001000000 01 03706c63076578616d706c6500 00010001 c00c000100010000003c00040a000001 00 0029 1000 00008000 0000 00")

    @Test func headerQuestionAnswerAndEDNS() {
        // (the literal above has an extra 00 at the end: a trailing byte)
        let bytes = Array(Self.response.dropLast())
        let message = bytes.withUnsafeBytes { DNS.parse($0.bytes) }
        #expect(message.id == 0x1234 && message.isResponse && message.recursionDesired && message.recursionAvailable && message.rcode == 0)
        #expect(message.questionsParsed == 1 && message.questions[0].type == 1 && message.recordsParsed == 2)
        #expect(message.hasEDNS && message.ednsUDPSize == 4096 && message.ednsDNSSECOK && message.anomalies.isEmpty)
        #expect(text(bytes, at: message.questions[0].nameOffset) == "plc.example")
        #expect(text(bytes, at: message.records[0].nameOffset) == "plc.example")
        var rdata: [UInt8] = []
        bytes.withUnsafeBytes { _ = DNS.appendRData($0.bytes, record: message.records[0], to: &rdata) }
        #expect(String(decoding: rdata, as: UTF8.self) == "10.0.0.1")
        let withTrailer = Self.response.withUnsafeBytes { DNS.parse($0.bytes) }
        #expect(withTrailer.anomalies.contains(.trailingBytes))
    }

    @Test func pointerLoopsAndForwardPointersAreRefused() {
        // header, then at offset 12 a pointer to offset 12 (itself)
        let selfLoop = hexBytes("000001000001000000000000 c00c 00010001")
        #expect(selfLoop.withUnsafeBytes { DNS.parse($0.bytes) }.anomalies.contains(.nameLoop))
        #expect(text(selfLoop, at: 12) == nil)
        // a pointer forward (offset 14)
        let forward = hexBytes("000001000001000000000000 c00e 00 0001 0001")
        #expect(forward.withUnsafeBytes { DNS.parse($0.bytes) }.anomalies.contains(.nameLoop))
    }

    @Test func labelRulesAndTruncations() {
        // label type 0x40 (extended, obsolete)
        #expect(hexBytes("000001000001000000000000 41 00 00010001").withUnsafeBytes { DNS.parse($0.bytes) }.anomalies.contains(.invalidLabel))
        // 5 labels of 63 bytes: 320 > 255
        let long = "000001000001000000000000" + String(repeating: "3f" + String(repeating: "61", count: 63), count: 5) + "00 00010001"
        #expect(hexBytes(long).withUnsafeBytes { DNS.parse($0.bytes) }.anomalies.contains(.nameTooLong))
        // a label running past the end
        #expect(hexBytes("000001000001000000000000 05 6162").withUnsafeBytes { DNS.parse($0.bytes) }.anomalies.contains(.truncatedRecord))
        #expect(hexBytes("0000").withUnsafeBytes { DNS.parse($0.bytes) }.anomalies.contains(.truncatedHeader))
        // every prefix of a real response is safe
        let bytes = Array(Self.response.dropLast())
        for length in 0..<bytes.count {
            let message = Array(bytes[0..<length]).withUnsafeBytes { DNS.parse($0.bytes) }
            #expect(!message.anomalies.isEmpty, "length \(length)")
        }
    }

    @Test func labelBytesOutsidePrintableASCIIAreEscaped() {
        // one label: "a.b" with a dot inside it, then a NUL byte label
        let message = hexBytes("000001000001000000000000 03 612e62 01 00 00 00010001")
        #expect(text(message, at: 12) == "a\\046b.\\000")
    }

    @Test func rdataOfCommonTypes() {
        func rdata(type: UInt16, _ data: String, message prefix: String = "000081800000000100000000") -> String {
            // answer: root name, type, class IN, TTL 0, rdata
            func hex4(_ value: Int) -> String {
                let digits = String(value, radix: 16)
                return String(repeating: "0", count: 4 - digits.count) + digits
            }
            let length: Int = hexBytes(data).count
            let head: String = prefix + "00" + hex4(Int(type))
            let body = hexBytes(head + "0001 00000000" + hex4(length) + data)
            let parsed = body.withUnsafeBytes { DNS.parse($0.bytes) }
            var out: [UInt8] = []
            body.withUnsafeBytes { _ = DNS.appendRData($0.bytes, record: parsed.records[0], to: &out) }
            return String(decoding: out, as: UTF8.self)
        }
        #expect(rdata(type: 28, "20010db8000000000000000000000001") == "2001:db8::1")
        #expect(rdata(type: 16, "0568656c6c6f 05776f726c64") == "helloworld")
        #expect(rdata(type: 15, "000a 046d61696c 00") == "mail")
        #expect(rdata(type: 33, "0001 0002 01bb 03777777 00") == "1 2 443 www")
        #expect(rdata(type: 99, "dead") == "dead")
    }

    @Test func tcpFramingAndProbes() {
        [UInt8]([0x00]).withUnsafeBytes { #expect(DNS.OverTCP.probeFrame($0.bytes) == .needMore(totalLength: 2)) }
        [UInt8]([0x00, 0x05]).withUnsafeBytes { #expect(DNS.OverTCP.probeFrame($0.bytes) == .invalid(anomaly: "dns.tcp_length_too_short")) }
        let query = hexBytes("1234010000010000000000 00 03706c63076578616d706c6500 00010001")
        query.withUnsafeBytes { #expect(DNS.probe($0.bytes) == .match) }
        (hexBytes("001d") + query).withUnsafeBytes { #expect(DNS.probeOverTCP($0.bytes) == .match) }
        // opcode 15 is not DNS
        hexBytes("1234 7800 0001 0000 0000 0000").withUnsafeBytes { #expect(DNS.probe($0.bytes) == .no) }
    }
}
