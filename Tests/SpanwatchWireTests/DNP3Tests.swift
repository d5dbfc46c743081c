import SpanwatchProtocols
import SpanwatchWire
import Testing

func hexBytes(_ text: String) -> [UInt8] {
    let digits = Array(text.filter { !$0.isWhitespace })
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
}

@Suite struct DNP3LinkTests {
    // Frame 4 of dnp3/iti-read-and-response.pcap, a class 0123 read from master 1 to outstation 10:
    //   05 64       start bytes
    //   14          LEN 20: control, destination, source + 15 bytes of user data
    //   c4          control: DIR (from master), PRM, function 4 (unconfirmed user data)
    //   0a 00       destination 10 (little-endian)
    //   01 00       source 1
    //   8f ed       header CRC
    //   c0 | c0 01 3c 02 06 3c 03 06 3c 04 06 3c 01 06    transport (FIR, FIN, seq 0) | application
    //   8a 51       CRC of that 15-byte block
    static let readFrame = hexBytes("056414c40a0001008fed c0c0013c02063c03063c04063c0106 8a51")

    @Test func crcMatchesTheStandardsExample() {
        // The reset-link example of IEEE 1815: header 05 64 05 c0 01 00 00 04, CRC e9 21.
        #expect(DNP3CRC.compute(hexBytes("056405c001000004")) == 0x21E9)
    }

    @Test func headerFieldsAndFraming() {
        Self.readFrame.withUnsafeBytes { raw in
            let frame = raw.bytes
            #expect(DNP3Link.probeFrame(frame) == .complete(length: 27))
            #expect(DNP3Link.probe(frame) == .match)
            let header = DNP3LinkHeader(frame)
            #expect(header.fromMaster && header.primary && header.function == 4 && header.functionName == "UNCONFIRMED_USER_DATA")
            #expect(header.destination == 10 && header.source == 1 && header.userDataLength == 15 && header.carriesUserData)
            var data: [UInt8] = []
            #expect(DNP3Link.extractUserData(frame, into: &data) == nil)
            #expect(data == hexBytes("c0c0013c02063c03063c04063c0106"))
        }
    }

    @Test func aBadBlockCRCIsNamedByItsBlock() {
        var frame = Self.readFrame
        frame[12] ^= 0x01  // a byte of the first data block
        frame.withUnsafeBytes { raw in
            var data: [UInt8] = []
            #expect(DNP3Link.extractUserData(raw.bytes, into: &data) == 1)
        }
        var header = Self.readFrame
        header[4] ^= 0x01  // the destination address: the header CRC fails
        header.withUnsafeBytes { raw in
            var data: [UInt8] = []
            #expect(DNP3Link.extractUserData(raw.bytes, into: &data) == 0)
            #expect(DNP3Link.probe(raw.bytes) == .no)
        }
    }

    @Test func framingOfShortAndBadInput() {
        let cases: [([UInt8], FrameProbe)] = [
            ([0x05], .needMore(totalLength: 3)),
            ([0x05, 0x64, 0x14], .needMore(totalLength: 27)),
            ([0x05, 0x65, 0x14], .invalid(anomaly: "dnp3.bad_start_bytes")),
            ([0x05, 0x64, 0x04], .invalid(anomaly: "dnp3.bad_link_length")),
            // LEN 255: 250 data bytes in 15 full blocks and one of 10, 16 CRCs: 10 + 250 + 32.
            ([0x05, 0x64, 0xFF], .needMore(totalLength: 292)),
        ]
        for (bytes, expected) in cases {
            bytes.withUnsafeBytes { #expect(DNP3Link.probeFrame($0.bytes) == expected) }
        }
        #expect(DNP3Link.maximumFrameLength == 292)
        [UInt8]([0x05, 0x64, 0x14, 0xC4]).withUnsafeBytes { #expect(DNP3Link.probe($0.bytes) == .needMore) }
        [UInt8]([0x00, 0x01, 0x00, 0x00]).withUnsafeBytes { #expect(DNP3Link.probe($0.bytes) == .no) }
    }
}

@Suite struct DNP3ApplicationTests {
    func parse(_ hex: String) -> DNP3Fragment {
        hexBytes(hex).withUnsafeBytes { DNP3Application.parse($0.bytes) }
    }

    @Test func classReadIsHeadersOnly() {
        // c0: FIR FIN seq 0 | 01 READ | 3c 02 06: g60v2 all | 3c 03 06 | 3c 04 06 | 3c 01 06
        let f = parse("c0 01 3c0206 3c0306 3c0406 3c0106")
        #expect(f.fir && f.fin && !f.con && !f.uns && f.sequence == 0)
        #expect(f.function == .read && f.function.name == "READ" && !f.hasIIN)
        #expect(f.objectCount == 4 && f.complete && f.anomalies.isEmpty)
        #expect(f.objects[0].group == 60 && f.objects[0].variation == 2 && f.objects[0].rangeCode == 6 && f.objects[0].count == 0)
    }

    @Test func responseWithIINAndRangedData() {
        // c3: FIR FIN seq 3 | 81 RESPONSE | IIN1 82 (all_stations? no: bit1 class_1, bit7 device_restart), IIN2 00
        // 1e 01 00 05 06: g30v1, start-stop 1 byte, 5..6 | two objects: flags + int32
        let f = parse("c3 81 8200 1e0100 0506 01 e8030000 01 d0070000")
        #expect(f.function == .response && f.hasIIN && f.iin == 0x0082)
        #expect(DNP3IIN.names[1] == "class_1_events" && DNP3IIN.names[7] == "device_restart")
        #expect(f.objects[0].start == 5 && f.objects[0].stop == 6 && f.objects[0].count == 2 && f.complete)
    }

    @Test func controlRelayOutputBlock() {
        // c5 05 DIRECT_OPERATE | 0c 01 28: g12v1, prefix 2-byte index, 2-byte count | 0100 count 1 | 0700 index 7
        // 41 control (PULSE_ON, CLOSE) | 01 count | f4010000 on 500 ms | 00000000 off | 00 status
        let f = parse("c5 05 0c0128 0100 0700 41 01 f4010000 00000000 00")
        #expect(f.function == .directOperate && f.complete && f.pointCount == 1)
        let p = f.points[0]
        #expect(p.kind == .crob && p.index == 7 && p.controlCode == 0x41 && p.operationTypeName == "PULSE_ON" && p.tripCloseName == "CLOSE")
        #expect(p.count == 1 && p.onTime == 500 && p.offTime == 0 && p.status == 0)
    }

    @Test func analogOutputsAndTime() {
        // c1 03 SELECT | 29 01 17: g41v1, 1-byte index prefix, 1-byte count | 01 | 02 index | 64000000 value 100 | 00 status
        let a = parse("c1 03 290117 01 02 64000000 00")
        #expect(a.points[0].kind == .analogOutput && a.points[0].index == 2 && a.points[0].integerValue == 100)
        // g41v3 float32 1.5 (0x3fc00000)
        let b = parse("c1 03 290317 01 04 0000c03f 00")
        #expect(b.points[0].isFloat && b.points[0].floatValue == 1.5 && b.points[0].index == 4)
        // c2 02 WRITE | 32 01 07 01: g50v1, count 1 | 48-bit ms since epoch: 1,767,261,600,000 = 0x019b_78ff_f900
        let t = parse("c2 02 320107 01 00f9ff789b01")
        #expect(t.points[0].kind == .time && t.points[0].milliseconds == 1_767_261_600_000)
    }

    @Test func packedBitsAndFreeFormat() {
        // Response: g1v1 (packed), indexes 0..9 = 10 bits = 2 bytes | g70v5 free format 5B: 1-byte count, 2-byte sizes
        let f = parse("c0 81 0000 010100 0009 ff03 46055b 01 0400 01020304")
        #expect(f.objectCount == 2 && f.complete && f.objects[1].group == 70 && f.objects[1].count == 1)
    }

    @Test func deviceAttributesAreIdentity() {
        // Response | 00 fc 00 fc fc: g0v252 (manufacturer), start-stop 252..252 | type 1 (VSTR), length 3, "SEL"
        let f = parse("c0 81 0000 00fc00 fcfc 01 03 53454c")
        #expect(f.complete && f.deviceAttributes.count == 1)
        #expect(f.deviceAttributes.first?.variation == 252 && f.deviceAttributes.first?.value == Array("SEL".utf8))
    }

    @Test func malformedObjectsAreNamedNotTrusted() {
        #expect(parse("c0").anomalies.contains(.truncatedHeader))
        #expect(parse("c0 81 00").anomalies.contains(.truncatedHeader))
        #expect(parse("c0 01 3c").anomalies.contains(.truncatedObject))
        // the whole 32-bit range (found by the fuzzer: 2^32 objects overflowed the count)
        #expect(parse("c0 81 0000 1e0102 00000000 ffffffff").anomalies.contains(.badRange))
        // stop below start
        #expect(parse("c0 81 0000 1e0100 0605").anomalies.contains(.badRange))
        // an object the parser cannot size in data: g99v1
        let unknown = parse("c0 81 0000 630100 0000 ff")
        #expect(unknown.anomalies.contains(.unknownObject) && !unknown.complete && unknown.objectCount == 1)
        // reserved range code 13
        #expect(parse("c0 15 3c0206 3c04ed").anomalies.contains(.unknownObject))
        // four billion objects announced, two bytes present
        #expect(parse("c0 81 0000 1e0109 ffffffff 0102").anomalies.contains(.truncatedObject))
    }

    @Test func everyTruncationOfARealFragmentIsSafe() {
        let full = hexBytes("c5 05 0c0128 0100 0700 41 01 f4010000 00000000 00 290117 01 02 64000000 00")
        for length in 0...full.count {
            let f = Array(full[0..<length]).withUnsafeBytes { DNP3Application.parse($0.bytes) }
            #expect(f.complete == (length == full.count || length == 20 || length == 2), "length \(length)")
        }
    }
}
