// libFuzzer target: TPKT framing, COTP (CR/CC parameters, DT reassembly), S7comm and
// S7comm-plus parsing through the engine's session. Built by scripts/fuzz.sh.
//
// Input: a TPKT byte stream. The first byte chooses the segment size the stream is cut into,
// and whether segments alternate direction (low bit).

@_cdecl("LLVMFuzzerTestOneInput")
public func s7commFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let control = data[0]
    let raw = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    // The decoders on the whole input as one PDU.
    _ = S7Comm.parse(raw.bytes)
    _ = S7CommPlus.parse(raw.bytes)
    _ = COTP.parse(raw.bytes)
    feedAsStream(raw, control: control, to: S7Session(limits: SessionLimits()))
    return 0
}
