import SpanwatchProtocols
import SpanwatchWire
import Testing

@Suite struct MQTTTests {
    func parse(_ hex: String, level: UInt8 = 4) -> MQTT.Message { hexBytes(hex).withUnsafeBytes { MQTT.parse($0.bytes, level: level) } }

    @Test func remainingLengthVarint() {
        let cases: [(String, MQTT.HeaderResult)] = [
            ("30 00", .header(headerLength: 2, remainingLength: 0)),
            ("30 c1 02", .header(headerLength: 3, remainingLength: 321)),     // 0x41 + 2 * 128
            ("30 ff ff ff 7f", .header(headerLength: 5, remainingLength: 268_435_455)),
            ("30 ff ff", .needMore),
            ("30 ff ff ff ff 01", .invalidRemainingLength),                     // a fifth length byte
        ]
        for (hex, expected) in cases { hexBytes(hex).withUnsafeBytes { #expect(MQTT.fixedHeader($0.bytes) == expected, "\(hex)") } }
    }

    @Test func connectKeepsThePasswordOut() {
        // 10 1b | 0004 "MQTT" | 04 level | c2 flags: username, password, clean | 003c keepalive
        // | 0002 "c1" client | 0002 "u1" user | 0007 "secret!" password
        let message = parse("10 1b 00044d515454 04 c2 003c 00026331 00027531 0007736563726574 21")
        #expect(message.type == 1 && message.protocolLevel == 4 && message.keepAlive == 60)
        #expect(message.username != nil && message.passwordPresent && message.anomalies.isEmpty)
        // Nothing in the parsed message points at the password bytes.
        let ranges = [message.protocolName, message.clientID, message.username, message.willTopic, message.topic].compactMap { $0 }
        #expect(ranges.allSatisfy { $0.end <= 24 })
        hexBytes("10 1b 00044d515454 04 c2").withUnsafeBytes { #expect(MQTT.probe($0.bytes) == .match) }
        // a protocol name that is neither MQTT nor MQIsdp
        #expect(parse("10 1b 00044d515455 04 c2 003c 00026331 00027531 0007736563726574 21").anomalies.contains(.unknownProtocol))
        hexBytes("10 1b 00044d515455 04 c2").withUnsafeBytes { #expect(MQTT.probe($0.bytes) == .no) }
    }

    @Test func publishQoSAndMQTT5Properties() {
        // 32: PUBLISH, QoS 1 | 0003 "a/b" | 0007 id | props 05: 01 01 (payload format), 23 0001 (topic alias) | "hi"
        let message = parse("32 0f 0003612f62 0007 05 0101 230001 6869", level: 5)
        #expect(message.type == 3 && message.qos == 1 && message.packetID == 7 && message.propertyCount == 2)
        #expect(message.payload.map { $0.end - $0.start } == 2 && message.anomalies.isEmpty)
        // an unknown property identifier 0x7f
        #expect(parse("32 0a 0003612f62 0007 02 7f00", level: 5).anomalies.contains(.invalidProperties))
        // QoS 3 is reserved
        #expect(parse("36 05 0003612f62").anomalies.contains(.invalidFlags))
    }

    @Test func subscribeAndSuback() {
        // 82: SUBSCRIBE | 0008 id | 0003 "a/#" qos 1 | 0006 "$SYS/#" qos 0
        let clean = parse("82 11 0008 0003612f2301 0006245359532f2300")
        #expect(clean.topicCount == 2 && clean.topics[0].qos == 1 && clean.topics[1].qos == 0)
        let suback = parse("90 04 0008 0180")
        #expect(suback.codeCount == 2 && suback.codes[1] == 0x80)
    }

    @Test func everyTruncationIsNamedNotTrapped() {
        let full = hexBytes("10 1b 00044d515454 04 c2 003c 00026331 00027531 0007736563726574 21")
        for length in 0..<full.count {
            let message = Array(full[0..<length]).withUnsafeBytes { MQTT.parse($0.bytes, level: 4) }
            #expect(!message.anomalies.isEmpty || length < 2, "length \(length)")
        }
    }
}
