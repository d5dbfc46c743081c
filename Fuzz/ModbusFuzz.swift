// libFuzzer target: MBAP framing and Modbus PDU parsing through the engine's session, plus the
// device-identification reader. Built by scripts/fuzz.sh.
//
// Input: a Modbus/TCP byte stream; the first byte chooses segment size and direction changes.

final class DiscardingEmitter: AppEventEmitter {
    var events = 0
    func emitApp(_ body: EventBody, flow: Flow, direction: StreamDirection?) { events += 1 }
}

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
    let flow = Flow()
    let emitter = DiscardingEmitter()
    let session = ModbusSession(limits: SessionLimits())
    var offset = 0
    var direction = StreamDirection.toServer
    let step = Int(control >> 1) % 64 + 1
    while offset < raw.count {
        let end = min(offset + step, raw.count)
        session.receive(UnsafeRawBufferPointer(rebasing: raw[offset..<end]).bytes, direction: direction, flow: flow, emitter: emitter)
        if control & 1 != 0 { direction = direction == .toServer ? .toClient : .toServer }
        offset = end
    }
    session.finish(flow: flow, emitter: emitter)
    return 0
}
