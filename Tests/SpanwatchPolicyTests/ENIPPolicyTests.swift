import SpanwatchFlow
import SpanwatchPolicy
import SpanwatchProtocols
import SpanwatchTestSupport
import SpanwatchWire
import Testing

/// EtherNet/IP plugs into the baseline and alerts through its folder's vocabulary: the CIP
/// services a scanner uses are learned with their class, a write to a new tag is a new write
/// operation, Stop is critical, and a repeated tag read is the edge's polling cycle.
@Suite struct ENIPPolicyTests {
    final class Alerts: BoxingEventSink {
        var alerts: [AlertEvent] = []
        func emit(_ context: EventContext, _ body: EventBody) {
            if case .alert(let alert) = body, alert.aggregate == nil { alerts.append(alert) }
        }
    }

    /// A scanner (10.40.1.5) and a controller (10.40.2.10:44818) on one TCP connection.
    struct Connection {
        var factory = FrameFactory()
        var clientSeq: UInt32 = 1001, serverSeq: UInt32 = 9001
        var context: UInt8 = 0
        let client: UInt32 = 0x0A28_0105, server: UInt32 = 0x0A28_020A

        mutating func open(_ processor: PacketProcessor, at time: Timestamp) {
            factory.tcp(src: client, dst: server, sport: 50000, dport: 44818, seq: 1000, ack: 0, flags: 0x02)
            factory.feed(processor, time: time)
            factory.tcp(src: server, dst: client, sport: 44818, dport: 50000, seq: 9000, ack: 1001, flags: 0x12)
            factory.feed(processor, time: time + 1000)
        }

        /// A SendRRData request with `cip`, then its reply `reply` (same sender context).
        mutating func exchange(_ cip: [UInt8], reply: [UInt8], _ processor: PacketProcessor, at time: Timestamp) {
            context &+= 1
            let request = frame(cip), answer = frame(reply)
            factory.tcp(src: client, dst: server, sport: 50000, dport: 44818, seq: clientSeq, ack: serverSeq, flags: 0x18, payload: request)
            factory.feed(processor, time: time)
            clientSeq += UInt32(request.count)
            factory.tcp(src: server, dst: client, sport: 44818, dport: 50000, seq: serverSeq, ack: clientSeq, flags: 0x18, payload: answer)
            factory.feed(processor, time: time + 2000)
            serverSeq += UInt32(answer.count)
        }

        func frame(_ cip: [UInt8]) -> [UInt8] {
            let data: [UInt8] = [0, 0, 0, 0, 0x0A, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xB2, 0x00, UInt8(cip.count), 0x00] + cip
            return [0x6F, 0x00, UInt8(data.count), 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, context, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] + data
        }
    }

    static let readSpeed: [UInt8] = [0x4C, 0x04, 0x91, 0x05, 0x53, 0x70, 0x65, 0x65, 0x64, 0x00, 0x01, 0x00]  // Read_Tag "Speed", 1 element
    static let readReply: [UInt8] = [0xCC, 0x00, 0x00, 0x00, 0xC4, 0x00, 0x2A, 0x00, 0x00, 0x00]

    static func learned() throws -> Baseline {
        let learner = PolicyEngine(policy: ZonePolicy(), downstream: Alerts())
        learner.startLearning()
        let processor = PacketProcessor(configuration: EngineConfiguration(), sink: learner)
        processor.observer = learner
        var connection = Connection()
        connection.open(processor, at: 1_000_000)
        for cycle in 0..<6 { connection.exchange(readSpeed, reply: readReply, processor, at: 2_000_000 + Int64(cycle) * 1_000_000) }
        processor.finish()
        return try #require(learner.finishLearning())
    }

    @Test func servicesAndPollingAreLearned() throws {
        let baseline = try Self.learned()
        let edge = "10.40.1.5 > 10.40.2.10 tcp/44818 enip"
        #expect(baseline.keyLines().contains("edge \(edge) | enip.service Read_Tag@0x6b"))
        #expect(baseline.edges[EdgeKey.parse(Substring(edge))!]?.polling?.periodMilliseconds == 1000)
        #expect(baseline.hosts[IPAddress("10.40.2.10")!]?.roles == ["enip_adapter"])
    }

    @Test func aWriteToANewTagAndStop() throws {
        let sink = Alerts()
        let engine = PolicyEngine(policy: ZonePolicy(), downstream: sink)
        engine.monitor(with: try Self.learned())
        let processor = PacketProcessor(configuration: EngineConfiguration(), sink: engine)
        processor.observer = engine
        var connection = Connection()
        connection.open(processor, at: 100_000_000)
        connection.exchange(Self.readSpeed, reply: Self.readReply, processor, at: 101_000_000)
        // Write_Tag "Setpoint" (DINT 42), then Stop (0x07) to the controller's class 0x8E instance 1.
        let write: [UInt8] = [0x4D, 0x06, 0x91, 0x08] + Array("Setpoint".utf8) + [0x00, 0x00, 0xC4, 0x00, 0x01, 0x00, 0x2A, 0x00, 0x00, 0x00]
        connection.exchange(write, reply: [0xCD, 0x00, 0x00, 0x00], processor, at: 102_000_000)
        connection.exchange([0x07, 0x02, 0x20, 0x8E, 0x24, 0x01], reply: [0x87, 0x00, 0x00, 0x00], processor, at: 103_000_000)
        processor.finish()
        let newOperation = try #require(sink.alerts.first { $0.kind == .newOperation })
        #expect(newOperation.severity == 1 && newOperation.baselineKey?.hasSuffix("| enip.service Write_Tag@0x6b") == true)
        let critical = sink.alerts.filter { $0.kind == .criticalOperation }
        #expect(critical.count == 1 && critical.first?.signature.contains("CIP Stop") == true && critical.first?.technique?.id == "T0858")
    }

    @Test func keysParseBack() {
        #expect(ObservedOperation.parse("enip.service Write_Tag@0x6b")?.keyText == "enip.service Write_Tag@0x6b")
        #expect(ObservedOperation.parse("enip.service 0x4d@0x6b")?.keyText == "enip.service Write_Tag@0x6b")
        #expect(ObservedOperation.parse("enip.write_tag Setpoint")?.isWrite == true)
        #expect(ObservedOperation.parse("enip.write 0x4 100")?.isRangedWrite == true)
        #expect(ObservedOperation.parse("enip.service Write_Tag") == nil)
    }
}
