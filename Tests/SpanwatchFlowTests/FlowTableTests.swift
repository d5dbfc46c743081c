import SpanwatchTestSupport
import SpanwatchProtocols
import SpanwatchFlow
import SpanwatchWire
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Builds Ethernet/IPv4/TCP frames in one reused buffer (no capture file needed).
func residentBytes() -> Int {
    guard let file = fopen("/proc/self/statm", "r") else { return 0 }
    defer { fclose(file) }
    var size = 0, resident = 0
    withUnsafeMutablePointer(to: &size) { s in
        withUnsafeMutablePointer(to: &resident) { r in
            _ = withVaList([s, r]) { vfscanf(file, "%ld %ld", $0) }
        }
    }
    return resident * Int(sysconf(Int32(_SC_PAGESIZE)))
}

final class CountingSink: BoxingEventSink {
    var flowRecords: [FlowEndReason: Int] = [:]
    var modbus = 0
    var anomalies: [String] = []
    var survivors = Set<UInt16>()
    func emit(_ context: EventContext, _ body: EventBody) {
        switch body {
        case .flow(let reason):
            flowRecords[reason, default: 0] += 1
            if reason == .shutdown, let flow = context.flow, flow.serverPort == 502, flow.clientIP == IPAddress(ipv4: 0x0A0A_010A) { survivors.insert(flow.clientPort) }
        case .application(let event): if event is ModbusTransaction { modbus += 1 }
        case .alert, .asset, .stats: break
        case .anomaly(let a): anomalies.append(a.event)
        }
    }
}

@Suite(.serialized) struct FlowTableTests {
    static let plc: UInt32 = 0x0A0A_0214, hmi: UInt32 = 0x0A0A_010A

    /// Opens an OT session (handshake + one Modbus exchange) from client port `port`.
    static func openSession(_ processor: PacketProcessor, factory: inout FrameFactory, port: UInt16, time: Timestamp) {
        _ = factory.tcp(src: hmi, dst: plc, sport: port, dport: 502, seq: 100, ack: 0, flags: 0x02)
        factory.feed(processor, time: time)
        _ = factory.tcp(src: plc, dst: hmi, sport: 502, dport: port, seq: 900, ack: 101, flags: 0x12)
        factory.feed(processor, time: time + 1)
        _ = factory.tcp(src: hmi, dst: plc, sport: port, dport: 502, seq: 101, ack: 901, flags: 0x10)
        factory.feed(processor, time: time + 2)
        _ = factory.tcp(src: hmi, dst: plc, sport: port, dport: 502, seq: 101, ack: 901, flags: 0x18,
                        payload: [0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 1])
        factory.feed(processor, time: time + 3)
        _ = factory.tcp(src: plc, dst: hmi, sport: 502, dport: port, seq: 901, ack: 113, flags: 0x18,
                        payload: [0, 1, 0, 0, 0, 5, 1, 3, 2, 0, 7])
        factory.feed(processor, time: time + 4)
    }

    /// A million random SYNs (a scan or flood) against a table capped at 10,000 flows and 8 MiB:
    /// the cap holds, every eviction is counted and written, and the established OT sessions survive.
    @Test func floodOfOneMillionRandomFlowsStaysUnderTheCap() {
        var configuration = EngineConfiguration()
        configuration.flowTable.maximumFlows = 10_000
        configuration.flowTable.memcap = 8 << 20
        let sink = CountingSink()
        let processor = PacketProcessor(configuration: configuration, sink: sink)
        var factory = FrameFactory()
        let start: Timestamp = 1_767_261_600_000_000
        for port in UInt16(40000)..<UInt16(40010) {
            Self.openSession(processor, factory: &factory, port: port, time: start + Int64(port - 40000) * 10)
        }
        let residentBefore = residentBytes()
        var random = SystemRandomNumberGenerator()
        let floodSize = 1_000_000
        for i in 0..<floodSize {
            let src = UInt32.random(in: 0x0B00_0000...0x0BFF_FFFF, using: &random)
            _ = factory.tcp(src: src, dst: Self.plc, sport: UInt16.random(in: 1024...65535, using: &random),
                            dport: UInt16.random(in: 1...1023, using: &random), seq: 1, ack: 0, flags: 0x02)
            // 100,000 SYNs a second of packet time: far faster than the 30 s embryonic timeout.
            factory.feed(processor, time: start + 1_000_000 + Int64(i) * 10)
        }
        let residentGrowth = residentBytes() - residentBefore
        let table = processor.table
        #expect(table.active <= 10_000)
        #expect(table.counters.peakActive <= 10_000)
        #expect(table.counters.peakMemory <= 8 << 20)
        #expect(table.counters.evictedEstablished == 0)
        #expect(table.counters.evictedNew >= UInt64(floodSize - 10_000))
        #expect(sink.flowRecords[.memcap] == Int(table.counters.evicted))
        // The process itself stays bounded. Resident memory is the whole test process's, and other
        // suites run in parallel (the oracle suites of nine protocols read their captures at the
        // same time: 134 MiB of growth was seen once), so the slack is wide; an unbounded table
        // would hold a million flows here (over 600 MiB). The exact bound is the table's own
        // charge, checked above.
        #expect(residentGrowth < 256 << 20, "resident memory grew by \(residentGrowth) bytes")
        processor.finish()
        #expect(sink.survivors == Set(UInt16(40000)..<UInt16(40010)))
        #expect(sink.modbus == 10)
    }

    @Test func timeoutsFollowPacketTime() {
        var configuration = EngineConfiguration()
        configuration.flowTable.newTimeout = 30
        let sink = CountingSink()
        let processor = PacketProcessor(configuration: configuration, sink: sink)
        var factory = FrameFactory()
        _ = factory.tcp(src: 1, dst: 2, sport: 1000, dport: 80, seq: 1, ack: 0, flags: 0x02)
        factory.feed(processor, time: 0)
        _ = factory.tcp(src: 3, dst: 4, sport: 1000, dport: 80, seq: 1, ack: 0, flags: 0x02)
        factory.feed(processor, time: 29_000_000)
        #expect(sink.flowRecords[.timeout] == nil)
        factory.feed(processor, time: 31_000_000)  // same flow 3->4 again: 1->2 is now idle 31 s
        #expect(sink.flowRecords[.timeout] == 1)
        #expect(processor.table.active == 1)
    }

    @Test func closedFlowEndsWithReasonClosed() {
        let sink = CountingSink()
        let processor = PacketProcessor(configuration: EngineConfiguration(), sink: sink)
        var factory = FrameFactory()
        Self.openSession(processor, factory: &factory, port: 41000, time: 0)
        _ = factory.tcp(src: Self.hmi, dst: Self.plc, sport: 41000, dport: 502, seq: 113, ack: 912, flags: 0x11)
        factory.feed(processor, time: 10)
        _ = factory.tcp(src: Self.plc, dst: Self.hmi, sport: 502, dport: 41000, seq: 912, ack: 114, flags: 0x11)
        factory.feed(processor, time: 11)
        _ = factory.tcp(src: Self.hmi, dst: Self.plc, sport: 41000, dport: 502, seq: 114, ack: 913, flags: 0x10)
        factory.feed(processor, time: 12)
        processor.advanceClock(to: 60_000_000)
        #expect(sink.flowRecords[.closed] == 1)
        #expect(sink.modbus == 1)
    }

    /// A client that reconnects from the same source port (many OT devices bind a fixed one)
    /// right after closing: the closed flow ends and the new connection is a flow of its own,
    /// whose requests are decoded (its sequence numbers start over; taken for the old flow's,
    /// they would be old data and nothing would be seen).
    @Test func aNewConnectionOnTheSamePortsIsANewFlow() {
        let sink = CountingSink()
        let processor = PacketProcessor(configuration: EngineConfiguration(), sink: sink)
        var factory = FrameFactory()
        for round in 0..<3 {
            let time = Int64(round) * 100
            Self.openSession(processor, factory: &factory, port: 41000, time: time)
            _ = factory.tcp(src: Self.hmi, dst: Self.plc, sport: 41000, dport: 502, seq: 113, ack: 912, flags: 0x11)
            factory.feed(processor, time: time + 10)
            _ = factory.tcp(src: Self.plc, dst: Self.hmi, sport: 502, dport: 41000, seq: 912, ack: 114, flags: 0x11)
            factory.feed(processor, time: time + 11)
            _ = factory.tcp(src: Self.hmi, dst: Self.plc, sport: 41000, dport: 502, seq: 114, ack: 913, flags: 0x10)
            factory.feed(processor, time: time + 12)
        }
        #expect(sink.modbus == 3)
        #expect(sink.flowRecords[.closed] == 2 && processor.table.counters.reused == 2)
        processor.finish()
        #expect(sink.flowRecords[.closed] == 3)  // the last one, closed, at the end of input
        #expect(processor.table.counters.created == 3)
        // A SYN retransmitted during the handshake is no new connection.
        let again = PacketProcessor(configuration: EngineConfiguration(), sink: CountingSink())
        for _ in 0..<2 {
            _ = factory.tcp(src: Self.hmi, dst: Self.plc, sport: 42000, dport: 502, seq: 100, ack: 0, flags: 0x02)
            factory.feed(again, time: 0)
        }
        #expect(again.table.counters.created == 1 && again.table.counters.reused == 0)
    }

    @Test func interimRecordsForLongLivedFlows() {
        var configuration = EngineConfiguration()
        configuration.flowTable.interimInterval = 60
        let sink = CountingSink()
        let processor = PacketProcessor(configuration: configuration, sink: sink)
        var factory = FrameFactory()
        Self.openSession(processor, factory: &factory, port: 42000, time: 0)
        let seq: UInt32 = 113
        for minute in 1...5 {
            _ = factory.tcp(src: Self.hmi, dst: Self.plc, sport: 42000, dport: 502, seq: seq, ack: 912, flags: 0x10)
            factory.feed(processor, time: Int64(minute) * 61_000_000)
        }
        #expect(sink.flowRecords[.interim] == 5)
    }
}
