import SpanwatchFlow
import SpanwatchProtocols
import SpanwatchTestSupport
import SpanwatchWire
import Testing

@Suite struct IEC104SessionTests {
    final class Sink: BoxingEventSink {
        var events: [IEC104Event] = []
        var anomalies: [String] = []
        func emit(_ context: EventContext, _ body: EventBody) {
            if let event = body.application(as: IEC104Event.self) { events.append(event) }
            if case .anomaly(let anomaly) = body { anomalies.append(anomaly.event) }
        }
    }

    static func engine() -> (PacketProcessor, Sink) {
        let sink = Sink()
        return (PacketProcessor(configuration: EngineConfiguration(), sink: sink), sink)
    }

    /// STARTDT, then an interrogation and its confirmation in one segment each way, and a
    /// measured value cut across two segments: every APDU is one event, no anomaly.
    @Test func apdusAcrossAndWithinSegments() throws {
        let (processor, sink) = Self.engine()
        var link = IEC104Conversation()
        link.open(processor)
        link.send(IEC104Conversation.uFrame(0x07), fromClient: true, processor)
        link.send(IEC104Conversation.uFrame(0x0B), fromClient: false, processor)
        let interrogation = link.iFrame(type: 100, cause: 6, ioa: 0, element: [0x14], fromClient: true)
        link.send(interrogation, fromClient: true, processor)
        let confirmation = link.iFrame(type: 100, cause: 7, ioa: 0, element: [0x14], fromClient: false)
        let value = link.iFrame(type: 13, cause: 20, ioa: 700, element: [0x00, 0x00, 0x48, 0x41, 0x00], fromClient: false)
        link.send(confirmation + Array(value[0..<9]), fromClient: false, processor)  // two APDUs, the second cut
        link.send(Array(value[9...]), fromClient: false, processor)
        processor.finish()
        #expect(sink.anomalies.isEmpty, "\(sink.anomalies)")
        #expect(sink.events.map { $0.apdu.format.rawValue } == ["U", "U", "I", "I", "I"])
        #expect(sink.events[3].latency == 10_000)  // the confirmation is paired with its activation
        let measured = try #require(sink.events[4].apdu.asdu)
        #expect(measured.typeID == 13 && measured.cause == 20 && measured.objects[0].value == .real(12.5))
        #expect(sink.events[4].direction == .toClient)
    }

    @Test func sequenceGapsAndDataBeforeStartAreAnomalies() {
        let (processor, sink) = Self.engine()
        var link = IEC104Conversation()
        link.open(processor)
        // Data before STARTDT on a connection seen from its start.
        link.send(link.iFrame(type: 100, cause: 6, ioa: 0, element: [0x14], fromClient: true), fromClient: true, processor)
        link.send(IEC104Conversation.uFrame(0x07), fromClient: true, processor)
        link.send(IEC104Conversation.uFrame(0x0B), fromClient: false, processor)
        link.clientSend += 3  // three I-frames the sensor never saw
        link.send(link.iFrame(type: 100, cause: 6, ioa: 0, element: [0x14], fromClient: true), fromClient: true, processor)
        processor.finish()
        #expect(sink.anomalies == ["iec104.data_while_stopped", "iec104.sequence_gap"])
    }

    /// Picked up midstream behind a Windows keep-alive (one stray byte): the byte is skipped
    /// quietly and the APDUs after it are read.
    @Test func aKeepAliveByteBeforeTheFirstAPDUIsSkipped() {
        let (processor, sink) = Self.engine()
        var link = IEC104Conversation()
        link.send([0x00], fromClient: false, processor)
        link.send(IEC104Conversation.uFrame(0x43) + IEC104Conversation.uFrame(0x07), fromClient: false, processor)
        processor.finish()
        #expect(sink.anomalies.isEmpty, "\(sink.anomalies)")
        #expect(sink.events.map(\.apdu.uFunction) == [0x10, 0x01])  // TESTFR act, STARTDT act
    }
}
