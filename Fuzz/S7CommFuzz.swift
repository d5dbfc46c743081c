// libFuzzer target: TPKT framing, COTP (CR/CC parameters, DT reassembly), S7comm and
// S7comm-plus parsing through the engine's session. Built by scripts/fuzz.sh.
//
// Input: a TPKT byte stream. The first byte chooses the segment size the stream is cut into,
// and whether segments alternate direction (low bit).

final class DiscardingEmitter: AppEventEmitter {
    var events = 0
    func emitApp(_ body: EventBody, flow: Flow, direction: StreamDirection?) { events += 1 }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func s7commFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let control = data[0]
    let raw = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    // The decoders on the whole input as one PDU.
    _ = S7Comm.parse(raw.bytes)
    _ = S7CommPlus.parse(raw.bytes)
    _ = COTP.parse(raw.bytes)
    let flow = Flow()
    let emitter = DiscardingEmitter()
    let session = S7Session(limits: SessionLimits())
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
