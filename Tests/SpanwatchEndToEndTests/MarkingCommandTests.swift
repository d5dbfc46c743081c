import Foundation
import Testing

/// Maintenance windows and mutes from the command line, as an operator adds them: each checked
/// with the config before its file changes, listed, shown and diffed; a mistake leaves the file
/// as it was and exits 1 naming it.
@Suite(.serialized) struct MarkingCommandTests {
    static let binary = LiveCaptureTests.binary
    static var canRun: Bool { FileManager.default.isExecutableFile(atPath: binary) }

    @Test(.enabled(if: canRun, "needs a built spanwatch (swift build)"))
    func addListShowAndDiff() throws {
        let directory = BaselineCommandTests.temporary("marking")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = directory + "/spanwatch.yaml"
        try """
        version: 1
        zones:
          - {name: supervisory, cidrs: [10.10.1.0/24]}
          - {name: control, cidrs: [10.10.2.0/24]}
        conduits:
          - {from: supervisory, to: control, services: [modbus, s7comm]}
        hosts:
          - {address: 10.10.1.50, name: eng-ws-1}
        baseline:
          path: \(directory)/baseline.yaml

        """.write(toFile: config, atomically: true, encoding: .utf8)
        let spanwatch = Self.binary
        // A window on the engineering station from now for an hour, then one over the conduit tomorrow.
        let added = try LiveCaptureTests.run([spanwatch, "maintenance", "add", "-c", config, "--name", "plc-download", "--host", "eng-ws-1",
                                              "--duration", "1h", "--reason", "CHG-1234", "--owner", "integrator"])
        #expect(added.status == 0 && added.output.contains("added maintenance window 'plc-download' to \(directory)/maintenance.yaml"), "\(added)")
        let tomorrow = ISO8601DateFormatter().string(from: Date().addingTimeInterval(86_400))
        #expect(try LiveCaptureTests.run([spanwatch, "maintenance", "add", "-c", config, "--name", "cell-2", "--conduit", "supervisory -> control",
                                          "--start", tomorrow, "--duration", "2h", "--reason", "r", "--owner", "o"]).status == 0)
        let before = try String(contentsOfFile: directory + "/maintenance.yaml", encoding: .utf8)
        // Overlapping the first over the same host, and an unknown host: refused, the file unchanged.
        let overlap = try LiveCaptureTests.run([spanwatch, "maintenance", "add", "-c", config, "--name", "again", "--host", "10.10.1.50",
                                                "--duration", "30m", "--reason", "r", "--owner", "o"])
        #expect(overlap.status == 1 && overlap.errors.contains("maintenance windows 'plc-download' and 'again' overlap"), "\(overlap)")
        let unknown = try LiveCaptureTests.run([spanwatch, "maintenance", "add", "-c", config, "--name", "x", "--host", "hmi-9",
                                                "--duration", "30m", "--reason", "r", "--owner", "o"])
        #expect(unknown.status == 1 && unknown.errors.contains("\(directory)/maintenance.yaml:16: 'maintenance[2].hosts' names 'hmi-9'"), "\(unknown)")
        #expect(try String(contentsOfFile: directory + "/maintenance.yaml", encoding: .utf8) == before)
        let listed = try LiveCaptureTests.run([spanwatch, "maintenance", "list", "-c", config]).output.split(separator: "\n")
        #expect(listed.count == 3 && listed[1].hasPrefix("open     plc-download") && listed[2].hasPrefix("pending  cell-2"), "\(listed)")
        #expect(listed[2].contains("conduit supervisory -> control  (r; o)"))

        // Mutes: add two, show, and diff against the file before the second.
        #expect(try LiveCaptureTests.run([spanwatch, "mutes", "add", "-c", config, "--name", "pentest", "--kind", "port_scan", "--src", "eng-ws-1",
                                          "--for", "7d", "--reason", "pentest", "--owner", "soc"]).status == 0)
        let first = directory + "/mutes-first.yaml"
        try FileManager.default.copyItem(atPath: directory + "/mutes.yaml", toPath: first)
        #expect(try LiveCaptureTests.run([spanwatch, "mutes", "add", "-c", config, "--name", "dns-facebook", "--kind", "external_dns",
                                          "--operation", "facebook.com", "--reason", "vendor updater", "--owner", "soc"]).status == 0)
        let bad = try LiveCaptureTests.run([spanwatch, "mutes", "add", "-c", config, "--name", "everything", "--reason", "r", "--owner", "o"])
        #expect(bad.status == 1 && bad.errors.contains("would mute every alert"), "\(bad)")
        let shown = try LiveCaptureTests.run([spanwatch, "mutes", "show", directory + "/mutes.yaml", "-c", config]).output.split(separator: "\n")
        #expect(shown.count == 2 && shown[0].hasPrefix("pentest | port_scan | 10.10.1.50/32 | * | * | * | 20"), "\(shown)")
        #expect(shown[1] == "dns-facebook | external_dns | * | * | * | facebook.com | never | vendor updater | soc")
        let diff = try LiveCaptureTests.run([spanwatch, "mutes", "diff", first, directory + "/mutes.yaml", "-c", config]).output
        #expect(diff == "+ dns-facebook | external_dns | * | * | * | facebook.com | never | vendor updater | soc\n", "\(diff)")
        // check-config reads both files with the config.
        #expect(try LiveCaptureTests.run([spanwatch, "check-config", "-c", config]).status == 0)
    }
}
