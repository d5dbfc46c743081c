// libFuzzer target: EtherNet/IP encapsulation, common packet format, CIP (EPATH, Multiple Service
// Packet, Unconnected Send, Forward Open, identity) and implicit I/O, through the engine's
// session over TCP (framing, pairing) and as datagrams. Built by scripts/fuzz.sh.
//
// Input: an EtherNet/IP byte stream; the first byte chooses segment size and direction changes.

@_cdecl("LLVMFuzzerTestOneInput")
public func enipFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let control = data[0]
    let raw = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    _ = ENIP.parse(raw.bytes)
    _ = ENIP.parseIO(raw.bytes)
    _ = CIPMessage.parse(raw.bytes)?.pccc?.criticalOperation
    _ = ENIP.probe(raw.bytes, datagram: true, onPort: true)
    _ = ENIP.probe(raw.bytes, datagram: false, onPort: false)
    feedAsStream(raw, control: control, to: ENIPSession(limits: SessionLimits(), datagram: false))
    let datagrams = ENIPSession(limits: SessionLimits(), datagram: true)
    let flow = Flow()
    datagrams.receive(raw.bytes, direction: .toServer, flow: flow, emitter: DiscardingEmitter())
    datagrams.finish(flow: flow, emitter: DiscardingEmitter())
    return 0
}
