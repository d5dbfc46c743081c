@testable import SpanwatchFlow
import SpanwatchWire
import Testing

@Suite struct DNP3StreamTests {
    final class DNP3Sink: EventSink {
        var fragments: [DNP3Event] = []
        var anomalies: [String] = []
        func emit(_ context: EventContext, _ body: EventBody) {
            if case .dnp3(let event) = body { fragments.append(event) }
            if case .anomaly(let anomaly) = body { anomalies.append(anomaly.event) }
        }
    }

    /// One link frame cut across two TCP segments (inside its first data block), then two link
    /// frames in one segment: three fragments, no anomaly.
    @Test func linkFrameAcrossSegmentsAndTwoInOne() {
        let sink = DNP3Sink()
        let processor = PacketProcessor(configuration: EngineConfiguration(), sink: sink)
        var factory = FrameFactory()
        let master: UInt32 = 0x0A14_0105, outstation: UInt32 = 0x0A14_021E
        // Frame 4 of dnp3/iti-read-and-response.pcap: a class 0123 read from master 1 to outstation 10.
        let read: [UInt8] = [0x05, 0x64, 0x14, 0xC4, 0x0A, 0x00, 0x01, 0x00, 0x8F, 0xED,
                             0xC0, 0xC0, 0x01, 0x3C, 0x02, 0x06, 0x3C, 0x03, 0x06, 0x3C, 0x04, 0x06, 0x3C, 0x01, 0x06, 0x8A, 0x51]
        var seq: UInt32 = 101
        _ = factory.tcp(src: master, dst: outstation, sport: 40001, dport: 20000, seq: 100, ack: 0, flags: 0x02)
        factory.feed(processor, time: 1)
        _ = factory.tcp(src: outstation, dst: master, sport: 20000, dport: 40001, seq: 900, ack: 101, flags: 0x12)
        factory.feed(processor, time: 2)
        for (index, piece) in [Array(read[0..<13]), Array(read[13...]), read + read].enumerated() {
            _ = factory.tcp(src: master, dst: outstation, sport: 40001, dport: 20000, seq: seq, ack: 901, flags: 0x18, payload: piece)
            factory.feed(processor, time: 3 + Timestamp(index))
            seq += UInt32(piece.count)
        }
        #expect(sink.fragments.count == 3)
        #expect(sink.fragments.allSatisfy { $0.fragment.function == .read && $0.fragment.objectCount == 4 && $0.link.source == 1 })
        #expect(sink.anomalies.isEmpty)
    }
}

@Suite struct MQTTStreamTests {
    final class MQTTSink: EventSink {
        var messages: [MQTTEvent] = []
        func emit(_ context: EventContext, _ body: EventBody) {
            if case .mqtt(let event) = body { messages.append(event) }
        }
    }

    /// A PUBLISH announcing 100,000 bytes (over the 64 KiB maximum) is reported from its first
    /// segment as truncated and its remainder skipped without buffering; the PINGREQ that follows
    /// it in the last segment is found.
    @Test func oversizeMessageIsReportedAndSkipped() {
        let sink = MQTTSink()
        let processor = PacketProcessor(configuration: EngineConfiguration(), sink: sink)
        var factory = FrameFactory()
        let sensor: UInt32 = 0x0A28_0107, broker: UInt32 = 0x0A28_000A
        var seq: UInt32 = 101
        _ = factory.tcp(src: sensor, dst: broker, sport: 40002, dport: 1883, seq: 100, ack: 0, flags: 0x02)
        factory.feed(processor, time: 1)
        _ = factory.tcp(src: broker, dst: sensor, sport: 1883, dport: 40002, seq: 900, ack: 101, flags: 0x12)
        factory.feed(processor, time: 2)
        // PUBLISH QoS 0: remaining length 100,000 = a0 8d 06; topic "big"
        let remaining = 100_000
        var stream: [UInt8] = [0x30, 0xA0, 0x8D, 0x06, 0x00, 0x03, 0x62, 0x69, 0x67]
        stream += [UInt8](repeating: 0x55, count: remaining - 5)
        stream += [0xC0, 0x00]  // PINGREQ
        var time: Timestamp = 3
        var offset = 0
        while offset < stream.count {
            let piece = Array(stream[offset..<min(offset + 1400, stream.count)])
            _ = factory.tcp(src: sensor, dst: broker, sport: 40002, dport: 1883, seq: seq, ack: 901, flags: 0x18, payload: piece)
            factory.feed(processor, time: time)
            seq += UInt32(piece.count)
            offset += piece.count
            time += 1
        }
        #expect(sink.messages.count == 2)
        let publish = sink.messages.first
        #expect(publish?.message.type == 3 && publish?.truncated == true && publish?.payloadLength == remaining - 5)
        #expect(publish?.skippedLength == remaining + 4 - 1400 && publish.flatMap { $0.topic } == Array("big".utf8))
        #expect(sink.messages.last?.message.type == 12)
    }
}
