// libFuzzer target: HTTP head parsing, chunk sizes, Basic credentials, and the session (heads
// across segments, bodies, chunks, pipelining, tunnels, resynchronisation). Built by scripts/fuzz.sh.

@_cdecl("LLVMFuzzerTestOneInput")
public func httpFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let control = data[0]
    let raw = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    _ = HTTP.parseHead(raw.bytes)
    _ = HTTP.headEnd(raw.bytes)
    _ = HTTP.probe(raw.bytes)
    _ = HTTP.chunkSize(raw.bytes, 0, raw.count)
    _ = HTTP.basicUsername(raw.bytes)
    feedAsStream(raw, control: control, to: HTTPSession(limits: SessionLimits()))
    return 0
}
