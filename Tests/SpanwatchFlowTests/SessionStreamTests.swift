import SpanwatchTestSupport
@testable import SpanwatchFlow
import SpanwatchProtocols
import SpanwatchWire
import Testing

@Suite struct DNP3StreamTests {
    final class DNP3Sink: BoxingEventSink {
        var fragments: [DNP3Event] = []
        var anomalies: [String] = []
        func emit(_ context: EventContext, _ body: EventBody) {
            if let event = body.application(as: DNP3Event.self) { fragments.append(event) }
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
    final class MQTTSink: BoxingEventSink {
        var messages: [MQTTEvent] = []
        func emit(_ context: EventContext, _ body: EventBody) {
            if let event = body.application(as: MQTTEvent.self) { messages.append(event) }
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

@Suite struct HTTPStreamTests {
    final class HTTPSink: BoxingEventSink {
        var transactions: [HTTPEvent] = []
        var anomalies: [String] = []
        func emit(_ context: EventContext, _ body: EventBody) {
            if let event = body.application(as: HTTPEvent.self) { transactions.append(event) }
            if case .anomaly(let anomaly) = body { anomalies.append(anomaly.event) }
        }
    }

    static func session(_ exchange: [(toServer: Bool, text: String)]) -> HTTPSink {
        let sink = HTTPSink()
        let processor = PacketProcessor(configuration: EngineConfiguration(), sink: sink)
        var factory = FrameFactory()
        let client: UInt32 = 0x0A0A_0132, server: UInt32 = 0x0A0A_0250
        _ = factory.tcp(src: client, dst: server, sport: 40100, dport: 80, seq: 100, ack: 0, flags: 0x02)
        factory.feed(processor, time: 1)
        _ = factory.tcp(src: server, dst: client, sport: 80, dport: 40100, seq: 900, ack: 101, flags: 0x12)
        factory.feed(processor, time: 2)
        var clientSeq: UInt32 = 101, serverSeq: UInt32 = 901
        for (index, step) in exchange.enumerated() {
            let payload = Array(step.text.utf8)
            if step.toServer {
                _ = factory.tcp(src: client, dst: server, sport: 40100, dport: 80, seq: clientSeq, ack: serverSeq, flags: 0x18, payload: payload)
                clientSeq += UInt32(payload.count)
            } else {
                _ = factory.tcp(src: server, dst: client, sport: 80, dport: 40100, seq: serverSeq, ack: clientSeq, flags: 0x18, payload: payload)
                serverSeq += UInt32(payload.count)
            }
            factory.feed(processor, time: 3 + Timestamp(index))
        }
        processor.finish()
        return sink
    }

    /// 100 Continue is followed: the request body comes after it, and the transaction is reported
    /// once, with the final status and both body lengths.
    @Test func hundredContinue() {
        let sink = Self.session([
            (true, "PUT /recipe HTTP/1.1\r\nHost: hmi\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"),
            (false, "HTTP/1.1 100 Continue\r\n\r\n"),
            (true, "abcd"),
            (false, "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"),
        ])
        #expect(sink.transactions.count == 1 && sink.anomalies.isEmpty)
        #expect(sink.transactions.first?.response?.status == 201 && sink.transactions.first?.request?.bodyLength == 4)
        #expect(sink.transactions.first?.response?.bodyLength == 2)
    }

    /// After a successful CONNECT the connection is a tunnel: the TLS bytes inside are not read as
    /// HTTP (no anomalies, no further transactions).
    @Test func connectTunnel() {
        let sink = Self.session([
            (true, "CONNECT vendor-portal.example:443 HTTP/1.1\r\nHost: vendor-portal.example:443\r\n\r\n"),
            (false, "HTTP/1.1 200 Connection established\r\n\r\n"),
            (true, "\u{16}\u{03}\u{01}\u{00}\u{05}hello"),
            (false, "\u{16}\u{03}\u{03}\u{00}\u{02}hi"),
        ])
        #expect(sink.transactions.count == 1 && sink.anomalies.isEmpty)
        #expect(sink.transactions.first.map { String(decoding: $0.request?.method ?? [], as: UTF8.self) } == "CONNECT")
        #expect(sink.transactions.first?.response?.status == 200)
    }
}
