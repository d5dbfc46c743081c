@testable import SpanwatchFlow
import SpanwatchTestSupport
import SpanwatchProtocols
import SpanwatchWire
import Testing

@Suite struct AnomalySamplingTests {
    /// A stream that breaks the Modbus framing on every segment: the first 25 anomalies are
    /// written, then one in 1000, each saying how many were left out; the flow record counts all.
    @Test func perFlowSamplingKeepsCountsAndWritesFew() {
        let sink = CountingSink()
        var configuration = EngineConfiguration()
        configuration.anomalySampling.threshold = 5
        configuration.anomalySampling.rate = 10
        let processor = PacketProcessor(configuration: configuration, sink: sink)
        var factory = FrameFactory()
        let hmi: UInt32 = 0x0A0A_010A, plc: UInt32 = 0x0A0A_0214
        var seq: UInt32 = 101
        _ = factory.tcp(src: hmi, dst: plc, sport: 40000, dport: 502, seq: 100, ack: 0, flags: 0x02)
        factory.feed(processor, time: 1)
        _ = factory.tcp(src: plc, dst: hmi, sport: 502, dport: 40000, seq: 900, ack: 101, flags: 0x12)
        factory.feed(processor, time: 2)
        // One good request so the flow is Modbus, then 40 segments with a bad protocol id.
        _ = factory.tcp(src: hmi, dst: plc, sport: 40000, dport: 502, seq: seq, ack: 901, flags: 0x18, payload: [0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 1])
        factory.feed(processor, time: 3)
        seq += 12
        for i in 0..<40 {
            _ = factory.tcp(src: hmi, dst: plc, sport: 40000, dport: 502, seq: seq, ack: 901, flags: 0x18, payload: [0, 2, 0, 9, 0, 6, 1, 3, 0, 0, 0, 1])
            factory.feed(processor, time: 4 + Timestamp(i))
            seq += 12
        }
        // Written: anomalies 1-5, then 15, 25 and 35 (threshold 5, rate 10); 32 left out.
        let invalid = sink.anomalies.filter { $0 == "modbus.invalid_protocol_id" }.count
        #expect(invalid == 8)
        #expect(processor.counters.anomaliesSuppressed == 32)
        var flowAnomalies: UInt64 = 0
        var flowSuppressed: UInt64 = 0
        processor.table.forEach { flowAnomalies = $0.anomalies; flowSuppressed = $0.anomaliesSuppressed }
        #expect(flowAnomalies == 40)
        #expect(flowSuppressed == 32)
    }
}
