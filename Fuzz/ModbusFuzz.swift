// libFuzzer target: MBAP framing and Modbus PDU parsing through the engine's session, plus the
// device-identification reader. Built by scripts/fuzz.sh.
//
// Input: a Modbus/TCP byte stream; the first byte chooses segment size and direction changes.

@_cdecl("LLVMFuzzerTestOneInput")
public func modbusFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let control = data[0]
    let raw = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    // The parsers take whole ADUs as the framer cuts them.
    if case .complete(let length) = ModbusTCP.probeFrame(raw.bytes) {
        let adu = raw.bytes.extracting(0..<length)
        _ = ModbusTCP.parse(adu, direction: .request)
        _ = ModbusTCP.parse(adu, direction: .response)
        _ = ModbusDeviceIdentification(responseADU: adu)
    }
    feedAsStream(raw, control: control, to: ModbusSession(limits: SessionLimits()))
    return 0
}
