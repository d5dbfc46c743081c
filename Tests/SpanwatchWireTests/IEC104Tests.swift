import SpanwatchProtocols
import SpanwatchWire
import Testing

func parseIEC104(_ bytes: [UInt8]) -> IEC104APDU {
    bytes.withUnsafeBytes { IEC104.parse($0.bytes) }
}

func frameIEC104(_ bytes: [UInt8]) -> FrameProbe {
    bytes.withUnsafeBytes { IEC104.probeFrame($0.bytes) }
}

func probeIEC104(_ bytes: [UInt8], strict: Bool) -> ProbeVerdict {
    bytes.withUnsafeBytes { IEC104.probe($0.bytes, strict: strict) }
}

@Suite struct IEC104Tests {
    // 68 04 | 07 00 00 00: STARTDT act.
    static let startdtAct: [UInt8] = [0x68, 0x04, 0x07, 0x00, 0x00, 0x00]
    // 68 0E | N(S)=2 N(R)=1 | C_SC_NA_1 (45), VSQ 1, cause act (6), originator 0, CA 1,
    // IOA 5000 (0x001388), SCO 0x81 (select, on).
    static let singleCommand: [UInt8] = [0x68, 0x0E, 0x04, 0x00, 0x02, 0x00,
                                         0x2D, 0x01, 0x06, 0x00, 0x01, 0x00,
                                         0x88, 0x13, 0x00, 0x81]

    @Test func framingNeedsTheHeaderThenTheWholeAPDU() {
        #expect(frameIEC104([]) == .needMore(totalLength: 1))
        #expect(frameIEC104([0x68]) == .needMore(totalLength: 2))
        for length in 2..<16 { #expect(frameIEC104(Array(Self.singleCommand[0..<length])) == .needMore(totalLength: 16)) }
        #expect(frameIEC104(Self.singleCommand + Self.startdtAct) == .complete(length: 16))
        #expect(frameIEC104([0x68, 0x03, 0x01, 0x00, 0x00]) == .invalid(anomaly: "iec104.invalid_length"))
        // Bytes before a start byte are cut apart (a keep-alive's stray byte), up to the next 0x68.
        #expect(frameIEC104([0x00] + Self.startdtAct) == .complete(length: 1))
        #expect(frameIEC104([0x01, 0x02, 0x03]) == .complete(length: 3))
    }

    @Test func uFramesSFramesAndIFrameSequenceNumbers() {
        let start = parseIEC104(Self.startdtAct)
        #expect(start.format == .u && start.uFunction == 0x01 && start.asdu == nil && start.anomalies.isEmpty)
        let testfrCon = parseIEC104([0x68, 0x04, 0x83, 0x00, 0x00, 0x00])
        #expect(testfrCon.format == .u && testfrCon.uFunction == 0x20)
        // S-format: 01 00 | N(R) = 0x0A14 >> 1 = 1290.
        let supervisory = parseIEC104([0x68, 0x04, 0x01, 0x00, 0x14, 0x0A])
        #expect(supervisory.format == .s && supervisory.receiveSequence == 1290)
        let command = parseIEC104(Self.singleCommand)
        #expect(command.format == .i && command.sendSequence == 2 && command.receiveSequence == 1)
        #expect(parseIEC104([0x68, 0x04, 0x0F, 0x00, 0x00, 0x00]).anomalies.contains(.invalidUFunction))  // two functions at once
    }

    @Test func commandASDU() throws {
        let asdu = try #require(parseIEC104(Self.singleCommand).asdu)
        #expect(asdu.typeID == 45 && asdu.count == 1 && !asdu.sequence && asdu.cause == 6 && !asdu.negative && !asdu.test)
        #expect(asdu.commonAddress == 1 && asdu.firstAddress == 5000 && asdu.isCommand && asdu.isActivation)
        #expect(asdu.keptObjectCount == 1 && asdu.objects[0].value == .integer(1) && asdu.objects[0].quality == 0x80)
        #expect(IEC104Names.typeName(45)?.description == "C_SC_NA_1" && IEC104Names.causeName(6)?.description == "act")
    }

    @Test func measuredFloatsInSequenceWithQuality() throws {
        // M_ME_NC_1 (13), SQ=1 with 2 objects, cause spont (3) with the test bit and P/N set,
        // originator 7, CA 0x0102; IOA 100, then 12.5 (0x41480000) QDS 0, -1.0 (0xBF800000) QDS IV (0x80).
        let apdu = parseIEC104([0x68, 0x16, 0x00, 0x00, 0x00, 0x00,
                                0x0D, 0x82, 0xC3, 0x07, 0x02, 0x01,
                                0x64, 0x00, 0x00,
                                0x00, 0x00, 0x48, 0x41, 0x00,
                                0x00, 0x00, 0x80, 0xBF, 0x80])
        let asdu = try #require(apdu.asdu)
        #expect(apdu.anomalies.isEmpty && asdu.sequence && asdu.count == 2 && asdu.cause == 3 && asdu.test && asdu.negative)
        #expect(asdu.originator == 7 && asdu.commonAddress == 0x0102 && asdu.firstAddress == 100 && asdu.lastAddress == 101)
        #expect(asdu.objects[0].address == 100 && asdu.objects[0].value == .real(12.5) && asdu.objects[0].quality == 0)
        #expect(asdu.objects[1].address == 101 && asdu.objects[1].value == .real(-1) && asdu.objects[1].quality == 0x80)
    }

    @Test func singlePointWithLongTimeTag() throws {
        // M_SP_TB_1 (30), one object, spont; IOA 1; SIQ 1 (on); CP56Time2a 2019-11-02 10:58:53.035:
        // ms 53035 = 0xCF2B, minute 58, hour 10, day 2, month 11, year 19.
        let apdu = parseIEC104([0x68, 0x15, 0x02, 0x00, 0x00, 0x00,
                                0x1E, 0x01, 0x03, 0x00, 0x01, 0x00,
                                0x01, 0x00, 0x00, 0x01,
                                0x2B, 0xCF, 0x3A, 0x0A, 0x02, 0x0B, 0x13])
        let object = try #require(apdu.asdu).objects[0]
        #expect(apdu.anomalies.isEmpty && object.value == .integer(1))
        let time = try #require(object.time)
        #expect(time.milliseconds == 53035 && time.minute == 58 && time.hour == 10 && time.day == 2 && time.month == 11 && time.year == 19)
    }

    @Test func malformedASDUsAreNamed() throws {
        // Objects promised but cut short; a header cut after the cause keeps type and cause.
        #expect(parseIEC104(Array(Self.singleCommand.dropLast())).anomalies.contains(.truncatedASDU))
        let cut = parseIEC104([0x68, 0x08, 0x00, 0x00, 0x00, 0x00, 0x1A, 0x1A, 0x1A, 0x1A])
        let partial = try #require(cut.asdu)
        #expect(cut.anomalies.contains(.truncatedASDU) && !partial.isComplete && partial.typeID == 26 && partial.cause == 26)
        #expect(parseIEC104(Self.singleCommand + [0x00]).anomalies.contains(.trailingBytes))
        #expect(parseIEC104([0x68, 0x0A, 0x00, 0x00, 0x00, 0x00, 0xC8, 0x01, 0x03, 0x00, 0x01, 0x00]).anomalies.contains(.unknownType))
    }

    /// Found by the fuzzer (fuzz-out/iec104/crash-0e356ba5...: one byte, 0x00): `parse` read the
    /// length field of an APDU shorter than its header. Any input is a value, never a trap.
    @Test func parseNeverTrapsOnShortInput() {
        for input: [UInt8] in [[], [0x00], [0x68], [0x68, 0x04], [0x68, 0x04, 0x07, 0x00, 0x00]] {
            #expect(parseIEC104(input).anomalies == .truncatedAPCI)
        }
    }

    @Test func detectionIsStrictOffItsPort() {
        #expect(probeIEC104(Self.startdtAct, strict: true) == .match)
        #expect(probeIEC104(Self.singleCommand, strict: true) == .match)
        #expect(probeIEC104([0x68, 0x04], strict: true) == .needMore)
        #expect(probeIEC104([0x68, 0x04, 0x0F, 0x00, 0x00, 0x00], strict: true) == .no)  // no single U function
        // An I-frame of an unknown type, or with cause 0, is not IEC 104 off port 2404.
        var unknown = Self.singleCommand
        unknown[6] = 0xC8
        #expect(probeIEC104(unknown, strict: true) == .no && probeIEC104(unknown, strict: false) == .match)
        // On its port a keep-alive's stray byte may come first: the probe waits for, then finds, the APDU.
        #expect(probeIEC104([0x00], strict: false) == .needMore && probeIEC104([0x00], strict: true) == .no)
        #expect(probeIEC104([0x00] + Self.startdtAct, strict: false) == .match)
        #expect(probeIEC104([0x01, 0x02, 0x03, 0x04, 0x68], strict: false) == .no)
        #expect(probeIEC104([0x05, 0x64, 0x05, 0xC9], strict: false) == .no)  // a DNP3 link header on port 2404
    }
}
