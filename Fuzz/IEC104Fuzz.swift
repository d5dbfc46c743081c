// libFuzzer target: IEC 60870-5-104 APDU framing (with stray bytes) and parsing through the
// engine's session: sequence tracking, activation pairing. Built by scripts/fuzz.sh.
//
// Input: an IEC 104 byte stream; the first byte chooses segment size and direction changes.

@_cdecl("LLVMFuzzerTestOneInput")
public func iec104Fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let control = data[0]
    let raw = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    if case .complete(let length) = IEC104.probeFrame(raw.bytes) {
        _ = IEC104.parse(raw.bytes.extracting(0..<length))
    }
    _ = IEC104.probe(raw.bytes, strict: true)
    _ = IEC104.probe(raw.bytes, strict: false)
    feedAsStream(raw, control: control, to: IEC104Session(limits: SessionLimits()))
    return 0
}
