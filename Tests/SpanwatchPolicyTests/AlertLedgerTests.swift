import SpanwatchProtocols
import SpanwatchFlow
import SpanwatchPolicy
import SpanwatchWire
import Testing

/// No flood reaches the SOC: one alert per key, aggregate records on packet time while the key
/// keeps happening, and a global rate limit whose held-back alerts are counted and reported.
@Suite struct AlertLedgerTests {
    final class Alerts: BoxingEventSink {
        var written: [(time: Timestamp, alert: AlertEvent)] = []
        func emit(_ context: EventContext, _ body: EventBody) {
            if case .alert(let alert) = body { written.append((context.timestamp, alert)) }
        }
    }

    static let policy = ZonePolicy(zones: [Zone(name: "iot", cidrs: [CIDR("10.40.0.0/16")!]), Zone(name: "control", cidrs: [CIDR("10.10.2.0/24")!])])

    /// A SYN from 10.40.x.y:port to 10.10.2.20:502: with no conduit, a zone_violation per source.
    static func syn(source: Int, port: Int, at time: Timestamp, into processor: PacketProcessor) {
        var frame = [UInt8](repeating: 0, count: 54)
        frame[12] = 0x08; frame[14] = 0x45; frame[17] = 40; frame[22] = 64; frame[23] = 6
        frame[26] = 10; frame[27] = 40; frame[28] = UInt8(source >> 8); frame[29] = UInt8(source & 0xFF)
        frame[30] = 10; frame[31] = 10; frame[32] = 2; frame[33] = 20
        frame[34] = UInt8(port >> 8); frame[35] = UInt8(port & 0xFF)
        frame[36] = 0x01; frame[37] = 0xF6
        frame[46] = 0x50; frame[47] = 0x02
        frame.withUnsafeBytes { processor.process($0.bytes, linkType: .ethernet, wireLength: 54, timestamp: time, pcapCount: 0) }
    }

    static func engine(_ settings: AlertSettings) -> (PacketProcessor, PolicyEngine, Alerts) {
        var policySettings = PolicySettings()
        policySettings.alerts = settings
        let sink = Alerts()
        let engine = PolicyEngine(policy: policy, settings: policySettings, downstream: sink)
        let processor = PacketProcessor(configuration: EngineConfiguration(), sink: engine)
        processor.observer = engine
        return (processor, engine, sink)
    }

    @Test func theRateLimitHoldsBackCountsAndReportsAtTheEnd() {
        var settings = AlertSettings()
        settings.ratePerMinute = 10
        let (processor, engine, sink) = Self.engine(settings)
        for source in 1...100 { Self.syn(source: source, port: 40000, at: 1_000_000 + Int64(source) * 1000, into: processor) }
        processor.finish()
        let first = sink.written.filter { $0.alert.aggregate == nil }
        #expect(first.count == 10)
        #expect(engine.counters.alerts == 10 && engine.counters.rateLimited == 90)
        // Nothing is lost: each held-back key gets an aggregate record saying so.
        let held = sink.written.compactMap(\.alert.aggregate).filter(\.firstHeldBack)
        #expect(held.count == 90 && held.allSatisfy { $0.count == 1 && $0.total == 1 })
    }

    @Test func theBucketRefillsWithPacketTime() {
        var settings = AlertSettings()
        settings.ratePerMinute = 6
        let (processor, engine, _) = Self.engine(settings)
        // One new key every 5 s of packet time for 10 minutes: 12 a minute against 6 allowed.
        for source in 1...120 { Self.syn(source: source, port: 40000, at: Int64(source) * 5_000_000, into: processor) }
        processor.finish()
        #expect(engine.counters.alerts >= 60 && engine.counters.alerts <= 67, "\(engine.counters)")
        #expect(engine.counters.alerts + engine.counters.rateLimited == 120)
    }

    @Test func aRepeatingKeyGetsAnAggregateEveryIntervalOfPacketTime() {
        var settings = AlertSettings()
        settings.aggregateInterval = 300_000_000
        let (processor, engine, sink) = Self.engine(settings)
        // The same sensor retries the PLC every 10 s for 16 minutes: one key.
        for attempt in 0..<96 { Self.syn(source: 7, port: 40000 + attempt, at: 1_000_000 + Int64(attempt) * 10_000_000, into: processor) }
        processor.finish()
        #expect(engine.counters.alerts == 1 && engine.counters.repeats == 95)
        let aggregates = sink.written.filter { $0.alert.aggregate != nil }
        // Sweeps at 5, 10 and 15 minutes of packet time, and the rest at the end of input.
        #expect(aggregates.count == 4, "\(aggregates.map { $0.alert.aggregate! })")
        #expect(aggregates.map { $0.alert.aggregate!.count }.reduce(0, +) == 95)
        #expect(aggregates.last?.alert.aggregate?.total == 96)
        // Written without a flow, an aggregate still names the hosts (src_ip, dest_ip).
        #expect(aggregates.allSatisfy { $0.alert.kind == .zoneViolation && $0.alert.sourceIP == IPAddress("10.40.0.7") })
        #expect(aggregates.allSatisfy { $0.alert.destinationIP == IPAddress("10.10.2.20") })
        let times = aggregates.map(\.time)
        #expect(times == times.sorted())
    }
}
