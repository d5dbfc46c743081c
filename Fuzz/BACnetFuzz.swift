// libFuzzer target: BACnet/IP BVLC, NPDU, APDU and tagged-parameter parsing through the engine's
// session (invoke id pairing). Built by scripts/fuzz.sh.
//
// Input: one datagram, fed to the session twice (as a request and as an answer).

@_cdecl("LLVMFuzzerTestOneInput")
public func bacnetFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let raw = UnsafeRawBufferPointer(start: data, count: size)
    _ = BACnet.parse(raw.bytes)
    _ = BACnetProtocol.datagramIsFromServer(raw.bytes)
    _ = BACnet.probe(raw.bytes, onPort: true)
    _ = BACnet.probe(raw.bytes, onPort: false)
    let session = BACnetSession(limits: SessionLimits())
    let flow = Flow()
    let emitter = DiscardingEmitter()
    session.receive(raw.bytes, direction: .toServer, flow: flow, emitter: emitter)
    session.receive(raw.bytes, direction: .toClient, flow: flow, emitter: emitter)
    session.finish(flow: flow, emitter: emitter)
    return 0
}
