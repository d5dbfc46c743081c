// libFuzzer target: MQTT fixed headers, every packet type at levels 4 and 5 (properties), and the
// session's framing (messages across segments, oversize messages skipped). Built by scripts/fuzz.sh.

@_cdecl("LLVMFuzzerTestOneInput")
public func mqttFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let control = data[0]
    let raw = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    _ = MQTT.parse(raw.bytes, level: 4)
    _ = MQTT.parse(raw.bytes, level: 5)
    _ = MQTT.probe(raw.bytes)
    var limits = SessionLimits()
    limits[MQTTProtocol.messageBytes] = 256  // exercise the skip path
    limits[MQTTProtocol.payloadBytes] = 16
    feedAsStream(raw, control: control, to: MQTTSession(limits: limits))
    return 0
}
