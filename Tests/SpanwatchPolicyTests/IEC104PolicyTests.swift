import SpanwatchFlow
import SpanwatchPolicy
import SpanwatchProtocols
import SpanwatchTestSupport
import SpanwatchWire
import Testing

/// IEC 60870-5-104 plugs into the baseline and the alerts through its folder's vocabulary: what a
/// controlling station sends is learned per edge, a command is a critical operation, a type it
/// never sent is a new operation, and interrogation is its polling cycle.
@Suite struct IEC104PolicyTests {
    final class Alerts: BoxingEventSink {
        var alerts: [AlertEvent] = []
        func emit(_ context: EventContext, _ body: EventBody) {
            if case .alert(let alert) = body, alert.aggregate == nil { alerts.append(alert) }
        }
    }

    static let edge = "10.20.1.1 > 10.20.2.2 tcp/2404 iec104"

    /// A controlling station that starts data transfer, then interrogates station 1 every second
    /// and gets a measured value back.
    static func polling(_ link: inout IEC104Conversation, _ processor: PacketProcessor, cycles: Int) {
        link.send(IEC104Conversation.uFrame(0x07), fromClient: true, processor)
        link.send(IEC104Conversation.uFrame(0x0B), fromClient: false, processor)
        for _ in 0..<cycles {
            link.send(link.iFrame(type: 100, cause: 6, ioa: 0, element: [0x14], fromClient: true), fromClient: true, processor)
            link.send(link.iFrame(type: 13, cause: 20, ioa: 700, element: [0x00, 0x00, 0x48, 0x41, 0x00], fromClient: false),
                      fromClient: false, processor)
            link.time += 1_000_000
        }
    }

    static func learned() throws -> Baseline {
        let learner = PolicyEngine(policy: ZonePolicy(), downstream: Alerts())
        learner.startLearning()
        let processor = PacketProcessor(configuration: EngineConfiguration(), sink: learner)
        processor.observer = learner
        var link = IEC104Conversation()
        link.open(processor)
        polling(&link, processor, cycles: 8)
        // The controlling station also commands object 5000 (single command, on).
        link.send(link.iFrame(type: 45, cause: 6, ioa: 5000, element: [0x01], fromClient: true), fromClient: true, processor)
        processor.finish()
        return try #require(learner.finishLearning())
    }

    @Test func interrogationIsLearnedWithItsCycle() throws {
        let baseline = try Self.learned()
        let lines = baseline.keyLines()
        #expect(lines.contains("edge \(Self.edge) | iec104.common_address 1"))
        #expect(lines.contains("edge \(Self.edge) | iec104.type C_IC_NA_1/act"))
        #expect(lines.contains("edge \(Self.edge) | iec104.command ca1 5000"))
        #expect(!lines.contains { $0.contains("M_ME_NC_1") })  // monitor data is the station's, not a choice of the client
        let edge = try #require(baseline.edges[EdgeKey.parse(Substring(Self.edge))!])
        #expect(edge.polling?.periodMilliseconds == 1020)  // each cycle: two frames 10 ms apart, then a second
        #expect(baseline.hosts[IPAddress("10.20.2.2")!]?.roles == ["iec104_controlled_station"])
    }

    @Test func aCommandIsCriticalAndANewTypeIsANewOperation() throws {
        for allowCommands in [false, true] {
            var settings = PolicySettings()
            if allowCommands {
                settings.allowedOperations = [OperationAllowance(from: [CIDR("10.20.1.1")!], to: [CIDR("10.20.2.2")!], operations: ["control_command"])]
            }
            let sink = Alerts()
            let engine = PolicyEngine(policy: ZonePolicy(), settings: settings, downstream: sink)
            engine.monitor(with: try Self.learned())
            let processor = PacketProcessor(configuration: EngineConfiguration(), sink: engine)
            processor.observer = engine
            var link = IEC104Conversation(clientPort: 40105)
            link.open(processor)
            Self.polling(&link, processor, cycles: 2)
            // A single command (C_SC_NA_1, IOA 5000, on), then a clock synchronisation never sent before.
            link.send(link.iFrame(type: 45, cause: 6, ioa: 5000, element: [0x01], fromClient: true), fromClient: true, processor)
            link.send(link.iFrame(type: 103, cause: 6, ioa: 0, element: [0, 0, 0, 0, 1, 1, 26], fromClient: true), fromClient: true, processor)
            // A command to an object it never commanded: allowed or not, the target is judged.
            link.send(link.iFrame(type: 45, cause: 6, ioa: 5001, element: [0x01], fromClient: true), fromClient: true, processor)
            processor.finish()
            let kinds = sink.alerts.map(\.kind)
            #expect(kinds.filter { $0 == .newOperation }.count == 1)
            let newType = try #require(sink.alerts.first { $0.kind == .newOperation })
            #expect(newType.baselineKey == "edge \(Self.edge) | iec104.type C_CS_NA_1/act")
            let critical = sink.alerts.filter { $0.kind == .criticalOperation }
            if allowCommands {
                #expect(critical.isEmpty)
                // Allowed commands still have their targets checked against the learned ranges.
                let outOfRange = sink.alerts.filter { $0.kind == .writeOutOfRange }
                #expect(outOfRange.count == 1 && outOfRange.first?.baselineKey == "edge \(Self.edge) | iec104.command ca1 5001")
            } else {
                #expect(!kinds.contains(.writeOutOfRange))  // the critical operation is the finding
                #expect(critical.count == 1 && critical[0].signature.contains("IEC 104 command C_SC_NA_1"))
                #expect(critical.first?.technique?.id == "T0855")
            }
        }
    }

    @Test func keysParseBack() {
        for text in ["iec104.type C_SC_NA_1/act", "iec104.type 45/6", "iec104.common_address 7", "iec104.command ca1 5000-5009"] {
            let operation = ObservedOperation.parse(Substring(text))
            #expect(operation != nil, "\(text)")
        }
        #expect(ObservedOperation.parse("iec104.type C_SC_NA_1/act")?.keyText == "iec104.type C_SC_NA_1/act")
        #expect(ObservedOperation.parse("iec104.type 45/6")?.keyText == "iec104.type C_SC_NA_1/act")
        #expect(ObservedOperation.parse("iec104.command 1 5000") == nil)  // tables are common addresses: ca1
        #expect(ObservedOperation.parse("iec104.type C_SC_NA_1") == nil)
    }
}
