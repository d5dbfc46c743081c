import SpanwatchFlow
import SpanwatchPolicy
import SpanwatchProtocols
import SpanwatchWire
import Testing

/// A zone that learns new devices: a host first seen there while monitoring gets its window, in
/// which its ordinary flows and operations go to a proposal instead of alerts, while critical
/// operations and zone violations still alert; once the window ends the proposal is handed over
/// and the device, never approved, is a new host again.
@Suite struct NewDeviceLearningTests {
    typealias Link = OutsidePolicyWritesTests.ModbusLink

    static func policy(conduit: Bool) -> ZonePolicy {
        let modbus = ProtocolRegistry.standard.named("modbus")!
        return ZonePolicy(zones: [Zone(name: "iot", cidrs: [CIDR("10.10.1.0/24")!], learnNewDevices: 60_000_000),
                                  Zone(name: "ot", cidrs: [CIDR("10.10.2.0/24")!])],
                          conduits: conduit ? [Conduit(from: "iot", to: "ot", services: [.application(modbus)])] : [])
    }

    /// The new device (10.10.1.99) reads, writes and forces listen-only at 100 s; at 200 s, its
    /// window (60 s) over, it writes again.
    static func run(conduit: Bool) throws -> (alerts: [[String: Any]], proposals: [Baseline], engine: PolicyEngine) {
        let lines = OutsidePolicyWritesTests.Lines()
        let engine = PolicyEngine(policy: policy(conduit: conduit), downstream: lines)
        engine.monitor(with: try OutsidePolicyWritesTests.learned())
        var proposals: [Baseline] = []
        engine.onProposal = { proposals.append($0) }
        OutsidePolicyWritesTests.monitor(engine) { processor in
            var link = Link(client: OutsidePolicyWritesTests.rogue, port: 40020, time: 100_000_000, processor)
            link.exchange([0x03, 0x00, 0x00, 0x00, 0x02], processor)
            link.exchange([0x06, 0x00, 0x0A, 0x00, 0x01], processor)
            link.exchange([0x08, 0x00, 0x04, 0x00, 0x00], processor)
            var later = Link(client: OutsidePolicyWritesTests.rogue, port: 40021, time: 200_000_000, processor)
            later.exchange([0x06, 0x00, 0x0A, 0x00, 0x02], processor)
        }
        return (lines.alerts, proposals, engine)
    }

    static func kinds(_ alerts: [[String: Any]]) -> [String] { alerts.compactMap { ($0["spanwatch"] as? [String: Any])?["kind"] as? String } }

    @Test func inItsWindowANewDeviceIsProposedNotAlerted() throws {
        let (alerts, proposals, engine) = try Self.run(conduit: true)
        // In the window: only the critical operation. After it: the device is new, and its write outside the baseline.
        #expect(Self.kinds(alerts) == ["critical_operation", "new_host", "new_flow", "new_operation"], "\(alerts)")
        let critical = try #require((alerts[0]["alert"] as? [String: Any])?["signature"] as? String)
        #expect(critical.contains("Modbus force listen-only mode from 10.10.1.99"))
        // The proposal: handed over when the window ended (at 160 s, seen at 200 s) and at the end of input.
        #expect(proposals.count == 2)
        let lines = try #require(proposals.last).keyLines()
        let edge = "edge 10.10.1.99 > 10.10.2.20 tcp/502 modbus"
        #expect(lines.contains("host 10.10.1.99") && lines.contains(edge), "\(lines)")
        #expect(lines.contains("\(edge) | modbus.function 3") && lines.contains("\(edge) | modbus.function 6") && lines.contains("\(edge) | modbus.function 8"))
        #expect(lines.contains("\(edge) | modbus.write holding_registers 10"))
        #expect(!lines.contains { $0.contains("10.10.1.10") })  // only what the new device did
        #expect(engine.baseline?.hosts[IPAddress("10.10.1.99")!] == nil)  // never approved by itself
        #expect(engine.counters.newDevicesLearning == 1 && engine.counters.proposed == 1)
    }

    @Test func zoneViolationsStillAlertInTheWindow() throws {
        let (alerts, _, _) = try Self.run(conduit: false)
        #expect(Self.kinds(alerts).prefix(2) == ["zone_violation", "critical_operation"], "\(alerts)")
    }
}
