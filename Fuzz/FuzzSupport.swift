// Shared by every fuzz target (scripts/fuzz.sh compiles it with the target's file).

final class DiscardingEmitter: AppEventEmitter {
    var events = 0
    func emitApp<Event: ProtocolEvent>(_ event: Event, flow: Flow, direction: StreamDirection?) { events += 1 }
    func wants(_ type: EventType) -> Bool { true }
    func emitAnomaly(_ anomaly: AnomalyEvent, flow: Flow, direction: StreamDirection?) { events += 1 }
}

/// Feeds `raw` to `session` as a stream cut into segments: `control` (the input's first byte)
/// chooses the segment size (1-64) and, with its low bit, whether segments alternate direction.
func feedAsStream(_ raw: UnsafeRawBufferPointer, control: UInt8, to session: AppSession) {
    let flow = Flow()
    let emitter = DiscardingEmitter()
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
