// libFuzzer target: DNP3 link framing, CRC checks, transport reassembly and application parsing,
// through the same session the engine uses. Built by scripts/fuzz.sh (one module from the
// Wire and Flow sources, -sanitize=fuzzer,address).
//
// Input: a DNP3 byte stream. The first byte chooses the segment sizes the stream is cut into
// (so framing across segments is exercised); segments alternate direction when its low bit is set.

final class DiscardingEmitter: AppEventEmitter {
    var events = 0
    func emitApp(_ body: EventBody, flow: Flow, direction: StreamDirection?) { events += 1 }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func dnp3Fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let control = data[0]
    let raw = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    // The parser on the whole input as one fragment.
    _ = DNP3Application.parse(raw.bytes)
    let flow = Flow()
    let emitter = DiscardingEmitter()
    for datagram in [true, false] {
        let session = DNP3Session(limits: SessionLimits(), datagram: datagram)
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
    }
    return 0
}
