// libFuzzer target: DNS message parsing (names, compression, records, EDNS), text rendering of
// names and rdata, and the session over UDP and TCP with the address -> name cache.
// Built by scripts/fuzz.sh.

@_cdecl("LLVMFuzzerTestOneInput")
public func dnsFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let control = data[0]
    let raw = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    let message = DNS.parse(raw.bytes)
    // Render everything the event writer would (names and rdata of every kept record).
    _ = DNSEvent(message: message, bytes: raw.bytes, transactionIndex: 0, latency: nil)
    let cache = DNSCache(limits: DNSCache.Limits())
    for datagram in [true, false] {
        feedAsStream(raw, control: control, to: DNSSession(datagram: datagram, cache: cache))
    }
    return 0
}
