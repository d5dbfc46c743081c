import SpanwatchFlow
import SpanwatchOutput
import SpanwatchPolicy
import SpanwatchProtocols
import SpanwatchTestSupport
import SpanwatchWire
import Foundation
import Testing

/// A flow outside the plant's policy still has its writes judged: each write is its own alert,
/// naming function, addresses and values, linked to the flow's first alert (`related`), and its
/// repeats are aggregated with their first and latest values.
@Suite struct OutsidePolicyWritesTests {
    /// Renders what reaches it as EVE lines (the formatter assigns `seq` and `related`).
    final class Lines: BoxingEventSink {
        let formatter = EveFormatter(sensorName: "test")
        var records: [[String: Any]] = []
        func emit(_ context: EventContext, _ body: EventBody) {
            formatter.render(context, body) { bytes in
                if let record = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] { records.append(record) }
            }
        }
        var alerts: [[String: Any]] { records.filter { $0["event_type"] as? String == "alert" } }
    }

    static let hmi: UInt32 = 0x0A0A_010A, rogue: UInt32 = 0x0A0A_0163, plc: UInt32 = 0x0A0A_0214  // 10.10.1.10, .1.99, .2.20

    /// A Modbus/TCP connection from `client` to the PLC, request by request (each answered).
    struct ModbusLink {
        var factory = FrameFactory()
        let client: UInt32, port: UInt16
        var clientSeq: UInt32 = 1001, serverSeq: UInt32 = 7001, transaction: UInt16 = 1
        var time: Timestamp

        init(client: UInt32, port: UInt16, time: Timestamp, _ processor: PacketProcessor) {
            self.client = client
            self.port = port
            self.time = time
            segment(fromClient: true, flags: 0x02, [], processor)
            segment(fromClient: false, flags: 0x12, [], processor)
            segment(fromClient: true, flags: 0x10, [], processor)
        }

        mutating func segment(fromClient: Bool, flags: UInt8, _ payload: [UInt8], _ processor: PacketProcessor) {
            let handshake = flags & 0x02 != 0
            if fromClient {
                factory.tcp(src: client, dst: plc, sport: port, dport: 502, seq: handshake ? 1000 : clientSeq, ack: handshake ? 0 : serverSeq, flags: flags, payload: payload)
                clientSeq += UInt32(payload.count)
            } else {
                factory.tcp(src: plc, dst: client, sport: 502, dport: port, seq: handshake ? 7000 : serverSeq, ack: clientSeq, flags: flags, payload: payload)
                serverSeq += UInt32(payload.count)
            }
            factory.feed(processor, time: time)
            time += 10_000
        }

        /// One request PDU and its answer (the function echoed with the request's first 4 bytes).
        mutating func exchange(_ pdu: [UInt8], _ processor: PacketProcessor) {
            func mbap(_ pdu: [UInt8]) -> [UInt8] {
                [UInt8(transaction >> 8), UInt8(transaction & 0xFF), 0, 0, 0, UInt8(pdu.count + 1), 1] + pdu
            }
            segment(fromClient: true, flags: 0x18, mbap(pdu), processor)
            let answer = pdu[0] == 0x03 ? [0x03, 0x04, 0x00, 0x01, 0x00, 0x02] : Array(pdu.prefix(5))
            segment(fromClient: false, flags: 0x18, mbap(answer), processor)
            transaction += 1
            time += 1_000_000
        }
    }

    static func learned() throws -> Baseline {
        let learner = PolicyEngine(policy: ZonePolicy(), downstream: Lines())
        learner.startLearning()
        let processor = PacketProcessor(configuration: EngineConfiguration(), sink: learner)
        processor.observer = learner
        var link = ModbusLink(client: hmi, port: 40001, time: 1_000_000, processor)
        for _ in 0..<5 { link.exchange([0x03, 0x00, 0x64, 0x00, 0x02], processor) }  // read holding 100-101
        processor.finish()
        return try #require(learner.finishLearning())
    }

    static func monitor(_ engine: PolicyEngine, _ traffic: (PacketProcessor) -> Void) {
        let processor = PacketProcessor(configuration: EngineConfiguration(), sink: engine)
        processor.observer = engine
        traffic(processor)
        processor.finish()
    }

    @Test func anUnknownHostsWritesAreEachAnAlertWithTheirValues() throws {
        let lines = Lines()
        let engine = PolicyEngine(policy: ZonePolicy(), downstream: lines)
        engine.monitor(with: try Self.learned())
        Self.monitor(engine) { processor in
            var link = ModbusLink(client: Self.rogue, port: 40002, time: 100_000_000, processor)
            // FC16 to holding 100-101 three times with other values, then FC6 to 101.
            for values: [UInt8] in [[0, 1, 0, 2], [0, 3, 0, 4], [0, 5, 0, 6]] {
                link.exchange([0x10, 0x00, 0x64, 0x00, 0x02, 0x04] + values, processor)
            }
            link.exchange([0x06, 0x00, 0x65, 0x00, 0x07], processor)
        }
        let alerts = lines.alerts
        let kinds = alerts.compactMap { ($0["spanwatch"] as? [String: Any])?["kind"] as? String }
        let signatures = alerts.compactMap { ($0["alert"] as? [String: Any])?["signature"] as? String }
        #expect(kinds == ["new_host", "new_flow", "new_operation", "new_operation", "new_operation"], "\(signatures)")
        #expect(signatures[2] == "SPANWATCH write on a flow outside the baseline: 10.10.1.99 -> 10.10.2.20 tcp/502 Modbus function 16 (WrMultRegs), "
                + "Modbus write to holding_registers 100-101, values [1, 2]; 10.10.1.99 is not in the baseline")
        #expect(signatures[3].contains("Modbus function 6 (WrSingleReg), Modbus write to holding_registers 101, values [7]"))
        // Severity 1, the highest; linked to the flow's first alert; the values as a field.
        let first = try #require((alerts[0]["spanwatch"] as? [String: Any])?["seq"] as? Int)
        let write = try #require(alerts[2]["spanwatch"] as? [String: Any])
        #expect((alerts[2]["alert"] as? [String: Any])?["severity"] as? Int == 1)
        #expect(write["related"] as? Int == first && write["values"] as? String == "[1, 2]")
        #expect((alerts[1]["spanwatch"] as? [String: Any])?["related"] as? Int == first)
        #expect((alerts[0]["spanwatch"] as? [String: Any])?["related"] == nil)
        // The two FC16 writes after the first are one aggregate with the first and latest values.
        let aggregate = try #require((alerts[4]["spanwatch"] as? [String: Any])?["aggregate"] as? [String: Any])
        #expect(aggregate["count"] as? Int == 2 && aggregate["total"] as? Int == 3)
        #expect(aggregate["first_values"] as? String == "[1, 2]" && aggregate["last_values"] as? String == "[5, 6]")
    }

    /// Without a baseline, a flow that no conduit allows still has its writes judged.
    @Test func writesOnAZoneViolationAreJudgedWithoutABaseline() throws {
        let lines = Lines()
        let policy = ZonePolicy(zones: [Zone(name: "it", cidrs: [CIDR("10.10.1.0/24")!]), Zone(name: "ot", cidrs: [CIDR("10.10.2.0/24")!])])
        let engine = PolicyEngine(policy: policy, downstream: lines)
        Self.monitor(engine) { processor in
            var link = ModbusLink(client: Self.rogue, port: 40003, time: 100_000_000, processor)
            link.exchange([0x03, 0x00, 0x64, 0x00, 0x02], processor)  // a read: no write alert
            link.exchange([0x06, 0x00, 0x65, 0x00, 0x07], processor)
        }
        let signatures = lines.alerts.compactMap { ($0["alert"] as? [String: Any])?["signature"] as? String }
        #expect(signatures.count == 2 && signatures[0].contains("zone violation"), "\(signatures)")
        #expect(signatures[1] == "SPANWATCH write on a flow no conduit allows: 10.10.1.99 -> 10.10.2.20 tcp/502 Modbus function 6 (WrSingleReg), "
                + "Modbus write to holding_registers 101, values [7]")
    }

    /// Near miss: the HMI's own flow is in the baseline; its reads raise nothing, and its first
    /// write is the edge's `new_operation`, not a write outside the policy.
    @Test func aLearnedEdgeIsJudgedByTheBaselineAlone() throws {
        let lines = Lines()
        let engine = PolicyEngine(policy: ZonePolicy(), downstream: lines)
        engine.monitor(with: try Self.learned())
        Self.monitor(engine) { processor in
            var link = ModbusLink(client: Self.hmi, port: 40004, time: 100_000_000, processor)
            link.exchange([0x03, 0x00, 0x64, 0x00, 0x02], processor)
            link.exchange([0x06, 0x00, 0x65, 0x00, 0x07], processor)
        }
        let signatures = lines.alerts.compactMap { ($0["alert"] as? [String: Any])?["signature"] as? String }
        #expect(signatures.count == 1 && signatures[0].hasPrefix("SPANWATCH new operation: 10.10.1.10 -> 10.10.2.20 tcp/502 used Modbus function 6"), "\(signatures)")
    }
}
