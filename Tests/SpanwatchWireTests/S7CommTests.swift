import SpanwatchProtocols
import SpanwatchWire
import Testing

@Suite struct TPKTAndCOTPTests {
    // TPKT + COTP CR from an engineering station:
    //   03 00 00 16     TPKT version 3, length 22
    //   11 e0           LI 17, CR
    //   00 00 00 01 00  dst-ref 0, src-ref 1, class 0
    //   c0 01 0a        TPDU size 1024
    //   c1 02 01 00     calling TSAP 0100 (PG, rack 0 slot 0)
    //   c2 02 01 02     called TSAP 0102 (PG, rack 0 slot 2)
    static let connectionRequest = hexBytes("03000016 11e0 0000000100 c0010a c1020100 c2020102")

    @Test func tpktFramingAndProbe() {
        Self.connectionRequest.withUnsafeBytes { raw in
            #expect(TPKT.probeFrame(raw.bytes) == .complete(length: 22))
            #expect(TPKT.probe(raw.bytes) == .match)
        }
        let cases: [([UInt8], FrameProbe)] = [
            ([0x03, 0x00], .needMore(totalLength: 4)),
            ([0x03, 0x00, 0x00, 0x40], .needMore(totalLength: 64)),
            ([0x04, 0x00, 0x00, 0x16], .invalid(anomaly: "tpkt.bad_version")),
            ([0x03, 0x00, 0x00, 0x06], .invalid(anomaly: "tpkt.bad_length")),
        ]
        for (bytes, expected) in cases { bytes.withUnsafeBytes { #expect(TPKT.probeFrame($0.bytes) == expected) } }
        // Right version, unknown TPDU code 0x30: not COTP.
        hexBytes("03000016 1130").withUnsafeBytes { #expect(TPKT.probe($0.bytes) == .no) }
        hexBytes("0300").withUnsafeBytes { #expect(TPKT.probe($0.bytes) == .needMore) }
    }

    @Test func connectionRequestTSAPs() throws {
        let header = try Self.connectionRequest.withUnsafeBytes { raw in
            try COTP.parse(raw.bytes.extracting(4..<raw.count)).get()
        }
        #expect(header.type == .connectionRequest && header.type.name == "CR" && header.sourceReference == 1 && header.tpduSize == 0x0A)
        #expect(header.callingTSAP.hex == "0100" && header.calledTSAP.hex == "0102")
        #expect(header.calledTSAP.siemensConnectionType == "PG" && header.calledTSAP.siemensRack == 0 && header.calledTSAP.siemensSlot == 2)
    }

    @Test func dataTPDUAndBadLengthIndicators() throws {
        // 02 f0 80: LI 2, DT, EOT + TPDU number 0
        let dt = try hexBytes("02f080 32").withUnsafeBytes { try COTP.parse($0.bytes).get() }
        #expect(dt.type == .data && dt.endOfTransmission && dt.headerLength == 3)
        let notLast = try hexBytes("02f001").withUnsafeBytes { try COTP.parse($0.bytes).get() }
        #expect(!notLast.endOfTransmission && notLast.tpduNumber == 1)
        hexBytes("05f080").withUnsafeBytes { raw in
            guard case .failure(.badLengthIndicator) = COTP.parse(raw.bytes) else { Issue.record("LI beyond the TPDU accepted"); return }
        }
        hexBytes("02").withUnsafeBytes { raw in
            guard case .failure(.truncated) = COTP.parse(raw.bytes) else { Issue.record("one byte accepted"); return }
        }
        // A CR parameter whose length runs past the header.
        hexBytes("0be0 0000000100 c10901").withUnsafeBytes { raw in
            guard case .failure(.badLengthIndicator) = COTP.parse(raw.bytes) else { Issue.record("long parameter accepted"); return }
        }
    }
}

@Suite struct S7CommTests {
    func parse(_ hex: String) -> S7PDU { hexBytes(hex).withUnsafeBytes { S7Comm.parse($0.bytes) } }

    @Test func setupCommunication() {
        // 32 01 0000 0001 0008 0000 | f0 00 0001 0001 01e0: job, ref 1, setup, AmQ 1/1, PDU 480
        let pdu = parse("32010000000100080000 f000000100 0101e0")
        #expect(pdu.rosctr == 1 && pdu.pduReference == 1 && pdu.function == 0xF0 && pdu.pduSize == 480)
        #expect(pdu.maxAmqCalling == 1 && pdu.maxAmqCalled == 1 && pdu.anomalies.isEmpty)
    }

    @Test func readVarItemAddressAndAckReturnCodes() {
        // Job READ_VAR, one item: 12 0a 10 | 02 BYTE | 0004 length | 0001 DB1 | 84 DB | 000088: byte 17, bit 0
        let job = parse("32010000000200 0e 0000 0401 120a10020004000184000088")
        #expect(job.function == 0x04 && job.itemCount == 1)
        let item = job.items[0]
        #expect(item.hasAddress && item.area == 0x84 && item.dbNumber == 1 && item.byteAddress == 17 && item.bitAddress == 0 && item.length == 4)
        #expect(S7Comm.areaName(item.area) == "DATA_BLOCK")
        // Ack-data: error 0/0 | 04 01 | data: ff (success) 04 (BYTE: length in bits) 0020 (32 bits) 01020304
        let ack = parse("320300000002 0002 0008 0000 0401 ff04002001020304")
        #expect(ack.rosctr == 3 && ack.items[0].hasReturnCode && ack.items[0].returnCode == 0xFF && ack.anomalies.isEmpty)
    }

    @Test func writeVarAckAndErrors() {
        // Ack-data WRITE_VAR with error class 0x85, code 0x00, and an item return code 0x0a (object does not exist)
        let ack = parse("320300000003 0002 0001 8500 0501 0a")
        #expect(ack.hasError && ack.errorClass == 0x85 && ack.items[0].returnCode == 0x0A)
    }

    @Test func plcStopAndPIService() {
        // PLC_STOP: 29 + 5 unknown bytes + 09 "P_PROGRAM"
        let stop = parse("32010000000800100000 29000000000009505f50524f4752414d")
        #expect(stop.function == 0x29 && stop.piService.array == Array("P_PROGRAM".utf8))
        // PI_SERVICE _INSE: 28, 7 unknown bytes, 0008 parameter block length, 8-byte block (08 + "800001P"),
        // 05 "_INSE"
        let pi = parse("32010000000900180000 28000000000000fd 0008 0838303030303150 05 5f494e5345")
        #expect(pi.function == 0x28 && pi.piService.array == Array("_INSE".utf8))
    }

    @Test func requestDownloadNamesTheBlock() {
        // 1a | 00 status | 0100 | 00000000 session | 09 "_0A00001P" (DB1, passive file system) | part 2: 07 "1000110"
        let pdu = parse("32010000000a001a0000 1a00 0100 00000000 09 5f3041303030303150 07 31303030313130")
        #expect(pdu.function == 0x1A && pdu.hasBlock)
        #expect(pdu.block?.type == "DB" && pdu.block?.number == 1 && pdu.block?.fileSystem == UInt8(ascii: "P"))
    }

    @Test func userdataReadSZLAndIdentity() {
        // Userdata request: 000112 04 11 44 01 00 | data: ff 09 0004 | SZL 0x0011 index 0
        let request = parse("32070000010000080008 0001120411440100 ff09000400110000")
        #expect(request.hasUserdata && request.userdataType == 4 && request.functionGroup == 4 && request.subfunction == 1 && request.szlID == 0x11)
        // Response with one 28-byte record: index 0007 (basic firmware): 20 spaces, BGTyp 00c0, Ausbg 'V' 3, Ausbe 2.6
        let record = "0007" + String(repeating: "20", count: 20) + "00c0" + "5603" + "0206"
        let data = "ff09 0024 0011 0000 001c 0001" + record
        // header: userdata, ref 0x0100, 12 parameter bytes, 40 data bytes | params: 8-byte form, response (0x12),
        // type 8 + group 4, READ_SZL, sequence 1, data unit 0, last unit, no error
        let response = parse("3207 0000 0100 000c 0028 000112 08 12 84 01 01 00 00 0000" + data)
        #expect(response.userdataType == 8 && response.hasIdentity && response.identity.hasFirmware)
        #expect(response.identity.firmware == (3, 2, 6))
    }

    @Test func truncationsAreNamed() {
        #expect(parse("3201").anomalies.contains(.truncatedHeader))
        #expect(parse("32030000000100000000").anomalies.contains(.truncatedHeader))  // ack-data without error bytes
        #expect(parse("32010000000100100000 f0").anomalies.contains(.lengthMismatch))
        #expect(parse("32010000000100020000 f000").anomalies.contains(.truncatedParameters))
        let full = hexBytes("32010000000200 0e 0000 0401 120a10020004000184000088")
        for length in 0..<full.count {
            let pdu = Array(full[0..<length]).withUnsafeBytes { S7Comm.parse($0.bytes) }
            #expect(!pdu.anomalies.isEmpty, "length \(length)")
        }
    }

    @Test func s7commPlusSummary() {
        // 72 01 0008 | 31 request | 0000 | 04ca CreateObject
        let v1 = hexBytes("72010008 31 0000 04ca 000000").withUnsafeBytes { S7CommPlus.parse($0.bytes) }
        #expect(v1.version == 1 && v1.opcodeName == "REQUEST" && v1.functionName == "CREATE_OBJECT")
        // V3: a 2-byte digest (length 02) before the opcode
        let v3 = hexBytes("72030009 02abcd 32 0000 054c").withUnsafeBytes { S7CommPlus.parse($0.bytes) }
        #expect(v3.version == 3 && v3.opcodeName == "RESPONSE" && v3.functionName == "GET_MULTI_VARIABLES")
    }
}
