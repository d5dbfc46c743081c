import SpanwatchFlow
import SpanwatchProtocols
import SpanwatchTestSupport
import SpanwatchWire
import Testing

@Suite struct ENIPSessionTests {
    final class Sink: BoxingEventSink {
        var events: [ENIPEvent] = []
        func emit(_ context: EventContext, _ body: EventBody) {
            if let event = body.application(as: ENIPEvent.self) { events.append(event) }
        }
    }

    /// SendUnitData on connection 0x11 (O->T) with CIP sequence count 5, answered on 0x22 (T->O)
    /// with the same count: one transaction, request and reply paired.
    static func sendUnitData(connection: UInt32, sequence: UInt16, cip: [UInt8]) -> [UInt8] {
        let connected: [UInt8] = [UInt8(sequence & 0xFF), UInt8(sequence >> 8)] + cip
        let items: [UInt8] = [0x02, 0x00, 0xA1, 0x00, 0x04, 0x00,
                              UInt8(connection & 0xFF), UInt8((connection >> 8) & 0xFF), UInt8((connection >> 16) & 0xFF), UInt8(connection >> 24),
                              0xB1, 0x00, UInt8(connected.count), 0x00] + connected
        let data: [UInt8] = [0, 0, 0, 0, 0, 0] + items
        return [0x70, 0x00, UInt8(data.count), 0x00, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] + data
    }

    @Test func connectedRequestsPairWithRepliesOnTheOtherConnection() throws {
        let sink = Sink()
        let processor = PacketProcessor(configuration: EngineConfiguration(), sink: sink)
        var factory = FrameFactory()
        let scanner: UInt32 = 0x0A28_0105, adapter: UInt32 = 0x0A28_020A
        factory.tcp(src: scanner, dst: adapter, sport: 50001, dport: 44818, seq: 100, ack: 0, flags: 0x02)
        factory.feed(processor, time: 1_000_000)
        factory.tcp(src: adapter, dst: scanner, sport: 44818, dport: 50001, seq: 900, ack: 101, flags: 0x12)
        factory.feed(processor, time: 1_001_000)
        let request = Self.sendUnitData(connection: 0x11, sequence: 5, cip: [0x4C, 0x02, 0x20, 0x6B, 0x24, 0x01, 0x01, 0x00])
        factory.tcp(src: scanner, dst: adapter, sport: 50001, dport: 44818, seq: 101, ack: 901, flags: 0x18, payload: request)
        factory.feed(processor, time: 1_002_000)
        let reply = Self.sendUnitData(connection: 0x22, sequence: 5, cip: [0xCC, 0x00, 0x00, 0x00, 0xC4, 0x00, 0x2A, 0, 0, 0])
        factory.tcp(src: adapter, dst: scanner, sport: 44818, dport: 50001, seq: 901, ack: 101 + UInt32(request.count), flags: 0x18, payload: reply)
        factory.feed(processor, time: 1_004_500)
        processor.finish()
        #expect(sink.events.count == 1)
        let event = try #require(sink.events.first)
        #expect(event.request?.connectionID == 0x11 && event.response?.connectionID == 0x22)
        #expect(event.request?.cip?.service == 0x4C && event.response?.cip?.isResponse == true && event.latency == 2500)
    }
}
