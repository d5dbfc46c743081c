// libFuzzer target: DNP3 link framing, CRC checks, transport reassembly and application parsing,
// through the same session the engine uses. Built by scripts/fuzz.sh (one module from the
// Wire and Flow sources, -sanitize=fuzzer,address).
//
// Input: a DNP3 byte stream. The first byte chooses the segment sizes the stream is cut into
// (so framing across segments is exercised); segments alternate direction when its low bit is set.

@_cdecl("LLVMFuzzerTestOneInput")
public func dnp3Fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let control = data[0]
    let raw = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    // The parser on the whole input as one fragment.
    _ = DNP3Application.parse(raw.bytes)
    for datagram in [true, false] {
        feedAsStream(raw, control: control, to: DNP3Session(limits: SessionLimits(), datagram: datagram))
    }
    return 0
}
