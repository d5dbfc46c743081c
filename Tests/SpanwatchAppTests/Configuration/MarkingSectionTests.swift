import Foundation
import SpanwatchApp
import SpanwatchFlow
import SpanwatchPolicy
import Testing

/// Maintenance windows and mutes as the config and their files declare them: names resolved,
/// times read, and every mistake refused with its file, line and key.
@Suite struct MarkingSectionTests {
    static let plant = """
    zones:
      - name: supervisory
        cidrs: [10.10.1.0/24]
      - name: control
        cidrs: [10.10.2.0/24]
    conduits:
      - {from: supervisory, to: control, services: [modbus]}
    hosts:
      - {address: 10.10.1.50, name: eng-ws-1}

    """

    static func window(_ body: String) -> String { plant + "maintenance:\n  - name: w1\n" + body }

    @Test func windowsResolveNamesAndTimes() throws {
        let config = try configuration(Self.plant + """
        maintenance:
          - name: integrator
            hosts: [eng-ws-1, 10.10.2.0/28]
            conduits: ["supervisory -> control"]
            start: 2026-12-04T18:00:00Z
            duration: 2h
            reason: program download, CHG-1234
            owner: j.smith
          - name: firmware
            zones: [control]
            start: 2026-12-05T08:00:00+01:00
            end: 2026-12-05T09:30:00.5+01:00
            reason: firmware
            owner: vendor

        """)
        let windows = config.marking.windows
        #expect(windows.map(\.name) == ["integrator", "firmware"])
        #expect(windows[0].hosts.map(\.description) == ["10.10.1.50/32", "10.10.2.0/28"])
        #expect(windows[0].conduits == [ZonePair(from: "supervisory", to: "control")])
        #expect(windows[0].start == 1_796_407_200_000_000 && windows[0].end == windows[0].start + 7_200_000_000)
        #expect(windows[1].start == 1_796_454_000_000_000 && windows[1].end == 1_796_459_400_500_000)  // 07:00Z, 08:30:00.5Z
        #expect(windows[0].state(at: windows[0].start - 1) == .pending && windows[0].state(at: windows[0].start) == .open)
        #expect(windows[0].state(at: windows[0].end) == .expired)
    }

    @Test func mistakesAreNamedWithTheirLine() {
        let times = "    start: 2026-12-04T18:00:00Z\n    duration: 1h\n    reason: r\n    owner: o\n"
        #expect(refusal(Self.window("    hosts: [nobody]\n" + times)) == "f.yaml:13: 'maintenance[0].hosts' names 'nobody', which is no host name (hosts:), address or address block")
        #expect(refusal(Self.window("    zones: [dmz]\n" + times))?.hasPrefix("f.yaml:13: 'maintenance[0].zones' names 'dmz', which is no zone") == true)
        #expect(refusal(Self.window("    conduits: [\"control -> supervisory\"]\n" + times))
            == "f.yaml:13: 'maintenance[0].conduits' names 'control -> supervisory', which is no conduit (conduits:)")
        #expect(refusal(Self.window("    conduits: [control]\n" + times)) == "f.yaml:13: 'maintenance[0].conduits' has 'control', not 'FROM-ZONE -> TO-ZONE'")
        #expect(refusal(Self.window("    hosts: [eng-ws-1]\n    start: yesterday\n    duration: 1h\n    reason: r\n    owner: o\n"))
            == "f.yaml:14: 'maintenance[0].start' is not a time: 'yesterday' (RFC 3339, like 2026-12-04T18:00:00Z)")
        #expect(refusal(Self.window("    hosts: [eng-ws-1]\n    start: 2026-12-04T18:00:00Z\n    end: 2026-12-04T17:00:00Z\n    reason: r\n    owner: o\n"))
            == "f.yaml:15: 'maintenance[0].end' is not after its start")
        #expect(refusal(Self.window("    hosts: [eng-ws-1]\n    start: 2026-12-04T18:00:00Z\n    end: 2026-12-04T19:00:00Z\n    duration: 1h\n    reason: r\n    owner: o\n"))
            == "f.yaml:12: 'maintenance[0]' needs one of 'end' or 'duration'")
        #expect(refusal(Self.window(times)) == "f.yaml:12: 'maintenance[0]' covers nothing: give 'hosts', 'zones' or 'conduits'")
        #expect(refusal(Self.window("    hosts: [eng-ws-1]\n    start: 2026-12-04T18:00:00Z\n    duration: 1h\n    owner: o\n"))
            == "f.yaml:12: 'maintenance[0].reason' is missing")
        #expect(refusal(Self.window("    hosts: [eng-ws-1]\n    when: now\n" + times))?.contains("unknown key 'maintenance[0].when'") == true)
    }

    @Test func overlappingWindowsOverACommonTargetAreRefused() {
        let first = "  - {name: a, hosts: [eng-ws-1], start: 2026-12-04T18:00:00Z, duration: 2h, reason: r, owner: o}\n"
        // The same host an hour later: both open 19:00-20:00.
        #expect(refusal(Self.plant + "maintenance:\n" + first + "  - {name: b, hosts: [10.10.1.0/24], start: 2026-12-04T19:00:00Z, duration: 2h, reason: r, owner: o}\n")
            == "maintenance windows 'a' and 'b' overlap in time over a common host, zone or conduit")
        // Back to back, or at the same time over other targets: accepted.
        #expect(refusal(Self.plant + "maintenance:\n" + first + "  - {name: b, hosts: [eng-ws-1], start: 2026-12-04T20:00:00Z, duration: 2h, reason: r, owner: o}\n") == nil)
        #expect(refusal(Self.plant + "maintenance:\n" + first + "  - {name: b, zones: [control], start: 2026-12-04T18:00:00Z, duration: 2h, reason: r, owner: o}\n") == nil)
        #expect(refusal(Self.plant + "maintenance:\n" + first + "  - {name: a, zones: [control], start: 2026-12-05T18:00:00Z, duration: 2h, reason: r, owner: o}\n")?
            .contains("'maintenance[1].name' 'a' is used twice") == true)
    }

    /// The files beside the baseline: windows added there are checked with the config's; a mutes
    /// file names hosts, kinds and protocols that exist.
    @Test func filesBesideTheBaselineAreReadAndChecked() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("spanwatch-marking-\(getpid())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let base = Self.plant + "baseline:\n  path: \(directory)/baseline.yaml\n"
        try "version: 1\nmaintenance:\n  - {name: fw, zones: [control], start: 2026-12-04T18:00:00Z, duration: 1h, reason: r, owner: o}\n"
            .write(toFile: directory + "/maintenance.yaml", atomically: true, encoding: .utf8)
        try "version: 1\nmutes:\n  - {name: scan, kind: port_scan, src: eng-ws-1, protocol: modbus, operation: x, reason: r, owner: o, expires: 2027-01-01T00:00:00Z}\n"
            .write(toFile: directory + "/mutes.yaml", atomically: true, encoding: .utf8)
        let config = try configuration(base)
        #expect(config.maintenanceFile == directory + "/maintenance.yaml" && config.marking.windows.map(\.name) == ["fw"])
        let mute = try #require(config.marking.mutes.first)
        #expect(mute.kind == .portScan && mute.source?.description == "10.10.1.50/32" && mute.protocolName == "modbus" && mute.expires != nil)
        try "version: 1\nmutes:\n  - {name: m, kind: port_sweep, reason: r, owner: o}\n".write(toFile: directory + "/mutes.yaml", atomically: true, encoding: .utf8)
        #expect(refusal(base)?.hasPrefix("\(directory)/mutes.yaml:3: 'mutes[0].kind' is no alert kind: 'port_sweep'") == true)
        try "version: 1\nmutes:\n  - {name: m, reason: r, owner: o}\n".write(toFile: directory + "/mutes.yaml", atomically: true, encoding: .utf8)
        #expect(refusal(base) == "\(directory)/mutes.yaml:3: 'mutes[0]' would mute every alert: give a kind, hosts, a protocol or an operation")
        try "version: 1\nmutes:\n  - {name: m, protocol: profinet, reason: r, owner: o}\n".write(toFile: directory + "/mutes.yaml", atomically: true, encoding: .utf8)
        #expect(refusal(base)?.contains("'mutes[0].protocol' is no protocol: 'profinet'") == true)
    }
}
