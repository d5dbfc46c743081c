import SpanwatchFlow
import SpanwatchPolicy
import SpanwatchWire
import Testing

/// Maintenance windows and mutes mark what they cover (nothing is dropped): a window only while
/// it is open, an aggregate by when its occurrences were, a mute until it expires.
@Suite struct AlertMarkingTests {
    typealias Link = OutsidePolicyWritesTests.ModbusLink

    static let zones = ZonePolicy(zones: [Zone(name: "it", cidrs: [CIDR("10.10.1.0/24")!]), Zone(name: "ot", cidrs: [CIDR("10.10.2.0/24")!])])

    /// A laptop writes FC16 at 100 s, 101 s and 102 s, then FC6 at 103 s, to a PLC no conduit lets it reach.
    static func run(_ marking: AlertMarking) -> (alerts: [[String: Any]], engine: PolicyEngine) {
        let lines = OutsidePolicyWritesTests.Lines()
        let engine = PolicyEngine(policy: zones, downstream: lines)
        engine.marking = marking
        OutsidePolicyWritesTests.monitor(engine) { processor in
            var link = Link(client: OutsidePolicyWritesTests.rogue, port: 40010, time: 100_000_000, processor)
            for _ in 0..<3 { link.exchange([0x10, 0x00, 0x64, 0x00, 0x01, 0x02, 0x00, 0x09], processor) }
            link.exchange([0x06, 0x00, 0x65, 0x00, 0x07], processor)
        }
        return (lines.alerts, engine)
    }

    static func field(_ record: [String: Any], _ key: String) -> Any? { (record["spanwatch"] as? [String: Any])?[key] }
    static func severity(_ record: [String: Any]) -> Int? { (record["alert"] as? [String: Any])?["severity"] as? Int }

    @Test func aWindowMarksWhatItCoversWhileOpen() throws {
        let window = MaintenanceWindow(name: "laptop-test", hosts: [CIDR("10.10.1.99")!], start: 99_000_000, end: 101_500_000, reason: "r", owner: "o")
        let (alerts, engine) = Self.run(AlertMarking(windows: [window]))
        let kinds = alerts.compactMap { Self.field($0, "kind") as? String }
        #expect(kinds == ["zone_violation", "new_operation", "new_operation", "new_operation"], "\(alerts)")
        // In the window: the zone violation and the first FC16 write, severity 3 and marked.
        for record in alerts.prefix(2) {
            #expect(Self.field(record, "maintenance") as? String == "laptop-test" && Self.severity(record) == 3)
        }
        // After it: the FC6 write (103 s), and the FC16 aggregate whose repeats were at 101 and 102 s.
        let fc6 = alerts[2], aggregate = alerts[3]
        #expect(Self.field(fc6, "maintenance") == nil && Self.severity(fc6) == 1)
        #expect(Self.field(aggregate, "aggregate") != nil && Self.field(aggregate, "maintenance") == nil && Self.severity(aggregate) == 1)
        #expect(engine.marking.markedByWindow == ["laptop-test": 2])
    }

    @Test func aWindowOverAnotherZoneOrConduitMarksNothing() {
        let other = MaintenanceWindow(name: "other", zones: ["dmz"], conduits: [ZonePair(from: "ot", to: "it")], start: 0, end: 1_000_000_000,
                                      reason: "r", owner: "o")
        let (alerts, engine) = Self.run(AlertMarking(windows: [other]))
        #expect(alerts.allSatisfy { Self.field($0, "maintenance") == nil })
        #expect(engine.marking.markedByWindow.isEmpty)
        let conduit = MaintenanceWindow(name: "it-ot", conduits: [ZonePair(from: "it", to: "ot")], start: 0, end: 1_000_000_000, reason: "r", owner: "o")
        #expect(Self.run(AlertMarking(windows: [conduit])).alerts.allSatisfy { Self.field($0, "maintenance") as? String == "it-ot" })
    }

    @Test func aMuteMarksItsPatternUntilItExpires() throws {
        let fc6 = MuteRule(name: "fc6", kind: .newOperation, source: CIDR("10.10.1.0/24")!, protocolName: "modbus", operation: "modbus.function 6",
                           reason: "r", owner: "o", expires: 200_000_000)
        let (alerts, engine) = Self.run(AlertMarking(mutes: [fc6]))
        let muted = alerts.filter { Self.field($0, "muted") as? String == "fc6" }
        #expect(muted.count == 1 && ((muted[0]["alert"] as? [String: Any])?["signature"] as? String)?.contains("function 6") == true)
        #expect(Self.severity(muted[0]) == 1)  // a mute marks; it does not lower the severity
        #expect(engine.marking.mutedByRule == ["fc6": 1])
        // Expired before the write, or for another protocol: nothing muted.
        var expired = fc6
        expired.expires = 103_000_000
        #expect(Self.run(AlertMarking(mutes: [expired])).alerts.allSatisfy { Self.field($0, "muted") == nil })
        var dnp3 = fc6
        dnp3.protocolName = "dnp3"
        #expect(Self.run(AlertMarking(mutes: [dnp3])).alerts.allSatisfy { Self.field($0, "muted") == nil })
    }
}
