@testable import SpanwatchFlow
import SpanwatchWire
import Testing

@Suite struct FlowIndexTests {
    static func key(_ n: UInt32) -> FlowKey {
        FlowKey(a: IPAddress(ipv4: 0x0A00_0000 | (n & 0xFFFF)), aPort: UInt16(truncatingIfNeeded: n >> 3), b: IPAddress(ipv4: 0xC0A8_0001),
                bPort: 502, ipProtocol: 6)
    }

    /// Random inserts and removals, checked against a Dictionary after every step: backward-shift
    /// deletion must keep every remaining key findable, through growth and wrap-around.
    @Test func agreesWithADictionaryUnderChurn() {
        let index = FlowIndex(minimumCapacity: 8)
        var model: [FlowKey: Int32] = [:]
        var freeSlots: [Int32] = []
        var nextSlot: Int32 = 0
        var generator = SplitMix(seed: 7)
        for step in 0..<20_000 {
            let n = UInt32(generator.next() % 3000)
            let key = Self.key(n)
            if let slot = model[key] {
                index.remove(key, slot: slot)
                model[key] = nil
                freeSlots.append(slot)
            } else {
                let slot = freeSlots.popLast() ?? { defer { nextSlot += 1 }; return nextSlot }()
                index.insert(key, slot: slot)
                model[key] = slot
            }
            if step % 997 == 0 {
                for probe in 0..<3000 as Range<UInt32> {
                    #expect(index.find(Self.key(probe)) == model[Self.key(probe)])
                }
            }
        }
        #expect(index.count == model.count)
        for (key, slot) in model { #expect(index.find(key) == slot) }
    }

    @Test func directionAndVLANAreDifferentFlows() {
        let index = FlowIndex(minimumCapacity: 4)
        let plain = FlowKey(a: IPAddress(ipv4: 1), aPort: 1, b: IPAddress(ipv4: 2), bPort: 2, ipProtocol: 6)
        let tagged = FlowKey(a: IPAddress(ipv4: 1), aPort: 1, b: IPAddress(ipv4: 2), bPort: 2, ipProtocol: 6, vlans: 10 << 16)
        let udp = FlowKey(a: IPAddress(ipv4: 1), aPort: 1, b: IPAddress(ipv4: 2), bPort: 2, ipProtocol: 17)
        index.insert(plain, slot: 0)
        index.insert(tagged, slot: 1)
        #expect(index.find(plain) == 0)
        #expect(index.find(tagged) == 1)
        #expect(index.find(udp) == nil)
    }
}

/// A small deterministic generator for tests.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

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
