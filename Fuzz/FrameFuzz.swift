// libFuzzer target: the frame decoder from the link layer down through every encapsulation
// (GRE, ERSPAN I/II/III, VXLAN, GENEVE, GRE in UDP, Teredo, MPLS, PPPoE, IP in IP) to the
// transport payload, as Ethernet and as raw IP, and the flow key it yields. Built by
// scripts/fuzz.sh; seeds are whole frames of the tunnels/ and edge/ captures.

@_cdecl("LLVMFuzzerTestOneInput")
public func frameFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let raw = UnsafeRawBufferPointer(start: data, count: size)
    var frame = DecodedFrame()
    for link in [LinkType.ethernet, .raw, .linuxCooked] {
        FrameDecoder.decode(raw.bytes, linkType: link, wireLength: size, into: &frame)
        _ = frame.stop?.eventName
        var sourceIsA = true
        _ = FlowKey(frame: frame, sourceIsA: &sourceIsA)
        // Every offset the decoder hands on must lie inside the frame.
        precondition(frame.payloadOffset + frame.payloadLength <= size)
    }
    return 0
}
