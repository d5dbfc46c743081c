import SpanwatchProtocols
import SpanwatchWire
import Testing

func parseModbus(_ bytes: [UInt8], _ direction: ModbusTCP.Direction) -> ModbusPDU {
    bytes.withUnsafeBytes { ModbusTCP.parse($0.bytes, direction: direction) }
}

func probeFrame(_ bytes: [UInt8]) -> FrameProbe {
    bytes.withUnsafeBytes { ModbusTCP.probeFrame($0.bytes) }
}

@Suite struct ModbusTCPTests {
    @Test func framingNeedsTheMBAPThenTheWholeADU() {
        let adu: [UInt8] = [0x00, 0x01, 0x00, 0x00, 0x00, 0x06, 0x01, 0x03, 0x00, 0x64, 0x00, 0x02]
        for length in 0..<6 { #expect(probeFrame(Array(adu[0..<length])) == .needMore(totalLength: 6)) }
        for length in 6..<12 { #expect(probeFrame(Array(adu[0..<length])) == .needMore(totalLength: 12)) }
        #expect(probeFrame(adu) == .complete(length: 12))
        #expect(probeFrame(adu + [0xFF]) == .complete(length: 12))
    }

    @Test func framingRejectsBadHeaders() {
        #expect(probeFrame([0, 1, 0, 1, 0, 6, 1]) == .invalid(anomaly: "modbus.invalid_protocol_id"))
        #expect(probeFrame([0, 1, 0, 0, 0, 1, 1]) == .invalid(anomaly: "modbus.invalid_length"))  // length 1: no function code
        #expect(probeFrame([0, 1, 0, 0, 1, 0, 1]) == .invalid(anomaly: "modbus.invalid_length"))  // length 256
    }

    @Test func readHoldingRegistersRequestAndResponse() {
        let request = parseModbus([0x12, 0x34, 0x00, 0x00, 0x00, 0x06, 0x11,  // tid 0x1234, unit 17
                                   0x03, 0x00, 0x6B, 0x00, 0x03], .request)   // FC 3, address 107, quantity 3
        #expect(request.transactionId == 0x1234 && request.unitId == 17)
        #expect(request.function == .readHoldingRegisters && request.address == 107 && request.quantity == 3)
        #expect(request.anomalies.isEmpty)
        let response = parseModbus([0x12, 0x34, 0x00, 0x00, 0x00, 0x09, 0x11,
                                    0x03, 0x06, 0x02, 0x2B, 0x00, 0x00, 0x00, 0x64], .response)  // 3 registers
        #expect(response.keptValues == [555, 0, 100] && response.anomalies.isEmpty)
    }

    @Test func exceptionResponse() {
        let pdu = parseModbus([0, 1, 0, 0, 0, 3, 1, 0x81, 0x02], .response)
        #expect(pdu.isException && pdu.function == .readCoils && pdu.functionRaw == 0x81 && pdu.exceptionCode == 2)
        #expect(pdu.anomalies.isEmpty)
        #expect(parseModbus([0, 1, 0, 0, 0, 3, 1, 0x81, 0x07], .response).anomalies.contains(.invalidExceptionCode))
    }

    @Test func writeMultipleRegistersChecksByteCount() {
        let good = parseModbus([0, 1, 0, 0, 0, 0x0B, 1, 0x10, 0x00, 0x01, 0x00, 0x02, 0x04, 0x00, 0x0A, 0x01, 0x02], .request)
        #expect(good.function == .writeMultipleRegisters && good.address == 1 && good.quantity == 2)
        #expect(good.keptValues == [10, 258] && good.anomalies.isEmpty)
        let bad = parseModbus([0, 1, 0, 0, 0, 0x0B, 1, 0x10, 0x00, 0x01, 0x00, 0x03, 0x04, 0x00, 0x0A, 0x01, 0x02], .request)
        #expect(bad.anomalies.contains(.invalidLength))  // quantity 3 needs 6 bytes
    }

    @Test func diagnosticsSubfunction() {
        let pdu = parseModbus([0, 1, 0, 0, 0, 6, 1, 0x08, 0x00, 0x04, 0x00, 0x00], .request)  // force listen only
        #expect(pdu.function == .diagnostics && pdu.hasSubfunction && pdu.subfunction == 4)
    }

    @Test func readWriteMultipleRegisters() {
        let pdu = parseModbus([0, 1, 0, 0, 0, 0x0D, 1, 0x17, 0x00, 0x03, 0x00, 0x06, 0x00, 0x0E, 0x00, 0x01, 0x02, 0x00, 0xFF], .request)
        #expect(pdu.address == 3 && pdu.quantity == 6 && pdu.writeAddress == 14 && pdu.writeQuantity == 1)
        #expect(pdu.keptValues == [255] && pdu.anomalies.isEmpty)
    }

    @Test func maskWriteAndFIFO() {
        let mask = parseModbus([0, 1, 0, 0, 0, 8, 1, 0x16, 0x00, 0x04, 0x00, 0xF2, 0x00, 0x25], .request)
        #expect(mask.hasMasks && mask.andMask == 0xF2 && mask.orMask == 0x25 && mask.address == 4)
        let fifo = parseModbus([0, 1, 0, 0, 0, 0x0A, 1, 0x18, 0x00, 0x06, 0x00, 0x02, 0x01, 0xB8, 0x12, 0x84], .response)
        #expect(fifo.keptValues == [440, 4740] && fifo.anomalies.isEmpty)
    }

    @Test func deviceIdentification() {
        let request = parseModbus([0, 1, 0, 0, 0, 5, 1, 0x2B, 0x0E, 0x01, 0x00], .request)
        #expect(request.hasMEI && request.meiType == 14 && request.readDeviceIdCode == 1 && request.anomalies.isEmpty)
        let responseBytes: [UInt8] = [0, 1, 0, 0, 0, 0x16, 1, 0x2B, 0x0E, 0x01, 0x01, 0x00, 0x00, 0x02,
                                      0x00, 0x06] + Array("Acme++".utf8) + [0x01, 0x05] + Array("PLC-1".utf8)
        let response = parseModbus(responseBytes, .response)
        #expect(response.objectCount == 2 && response.anomalies.isEmpty)
        let identification = responseBytes.withUnsafeBytes { ModbusDeviceIdentification(responseADU: $0.bytes) }
        #expect(identification?.objects.count == 2)
        #expect(identification?.objects.last.map { String(decoding: $0.value, as: UTF8.self) } == "PLC-1")
    }

    @Test func userDefinedAndUMASCodesSurviveAsNumbers() {
        let umas = parseModbus([0, 1, 0, 0, 0, 4, 0, 0x5A, 0x00, 0x02], .request)
        #expect(umas.function.rawValue == 90 && umas.function.name == "UMAS" && umas.function.category == "RESERVED")
        #expect(ModbusFunction(rawValue: 65).category == "USER_DEFINED" && ModbusFunction(rawValue: 65).name == "unknown-65")
    }

    @Test func everyTruncationOfEveryFunctionIsHandled() {
        // Each function's request and response cut at every length: never a trap, always a result.
        for function in UInt8(0)...UInt8(255) {
            let body: [UInt8] = [function, 0x00, 0x01, 0x00, 0x02, 0x04, 0x00, 0x0A, 0x01, 0x02, 0x03]
            for length in 1...body.count {
                let pdu = Array(body[0..<length])
                let adu: [UInt8] = [0, 1, 0, 0, 0, UInt8(pdu.count + 1), 1] + pdu
                _ = parseModbus(adu, .request)
                _ = parseModbus(adu, .response)
            }
        }
    }
}
