import SpanwatchProtocols
import Foundation
import Testing

/// The baseline workflow from the command line, as a plant runs it: learn, monitor, approve what
/// an alert names, diff, merge; a broken baseline; the daemon's learn mode switching itself to
/// monitoring.
@Suite(.serialized) struct BaselineCommandTests {
    static let binary = LiveCaptureTests.binary
    static var canRun: Bool { FileManager.default.isExecutableFile(atPath: binary) }
    static let scenarios = ScenarioTests.folder
    static let config = SharedCorpus.repositoryRoot.appendingPathComponent("config/spanwatch.yaml").path

    static func temporary(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("spanwatch-\(getpid())-\(name)").path
    }

    static func alerts(_ output: String) throws -> [[String: Any]] {
        try output.split(separator: "\n").compactMap { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return object?["event_type"] as? String == "alert" ? object : nil
        }
    }

    static func kind(_ alert: [String: Any]) -> String { (alert["spanwatch"] as? [String: Any])?["kind"] as? String ?? "" }

    @Test(.enabled(if: canRun, "needs a built spanwatch (swift build)"))
    func learnMonitorApproveMonitorAgain() throws {
        let baseline = Self.temporary("approve.yaml"), eve = Self.temporary("approve-eve.json")
        defer { unlink(baseline); unlink(eve) }
        let learned = try LiveCaptureTests.run([Self.binary, "learn", "-r", Self.scenarios.appendingPathComponent("plant-learn.pcap").path,
                                                "-c", Self.config, "-o", baseline])
        #expect(learned.status == 0)
        #expect(learned.errors.contains("learned 8 hosts, 7 edges (2 polling), 2 DNS names"), "\(learned.errors)")
        let monitor = Self.scenarios.appendingPathComponent("new-operation-first-write/monitor.pcap").path
        let run = try LiveCaptureTests.run([Self.binary, "run", "-r", monitor, "-c", Self.config, "-b", baseline, "--eve", eve])
        #expect(run.status == 0)
        let first = try Self.alerts(String(contentsOfFile: eve, encoding: .utf8))
        let newOperation = try #require(first.first { Self.kind($0) == "new_operation" })
        let extra = newOperation["spanwatch"] as! [String: Any]
        #expect(extra["baseline_key"] as? String == "edge 10.10.1.10 > 10.10.2.20 tcp/502 modbus | modbus.function 16")
        #expect((newOperation["modbus"] as? [String: Any])?["request"] != nil)  // the protocol object that raised it

        // Approve it by its event id, then monitor again: the alert is gone, nothing else changed.
        let approve = try LiveCaptureTests.run([Self.binary, "baseline", "approve", "-b", baseline, "--eve", eve, extra["event_id"] as! String])
        #expect(approve.status == 0 && approve.output.contains("approved: edge 10.10.1.10 > 10.10.2.20 tcp/502 modbus | modbus.function 16"))
        let again = try LiveCaptureTests.run([Self.binary, "run", "-r", monitor, "-c", Self.config, "-b", baseline, "--types", "alert"])
        #expect(try Self.alerts(again.output).filter { Self.kind($0) == "new_operation" }.isEmpty)

        // Approving twice changes nothing; an alert without a key cannot be approved.
        let twice = try LiveCaptureTests.run([Self.binary, "baseline", "approve", "-b", baseline, "--eve", eve, extra["event_id"] as! String])
        #expect(twice.output.contains("already in the baseline"))
        let critical = try LiveCaptureTests.run([Self.binary, "run", "-r", Self.scenarios.appendingPathComponent("critical-operation-listen-only/monitor.pcap").path,
                                                 "-c", Self.config, "-b", baseline, "--types", "alert"])
        let line = try #require(critical.output.split(separator: "\n").first { $0.contains("critical_operation") })
        let refused = try LiveCaptureTests.run([Self.binary, "baseline", "approve", "-b", baseline, String(line)])
        #expect(refused.status == 1 && refused.errors.contains("names no baseline key"))

        // Alert lines on standard input work too.
        let write = try LiveCaptureTests.run([Self.binary, "run", "-r", Self.scenarios.appendingPathComponent("write-out-of-range/monitor.pcap").path,
                                              "-c", Self.config, "-b", baseline, "--types", "alert"])
        let piped = try LiveCaptureTests.run([Self.binary, "baseline", "approve", "-b", baseline, "-"], input: write.output)
        #expect(piped.output.contains("approved: edge 10.10.1.50 > 10.10.2.20 tcp/502 modbus | modbus.write holding_registers 400"))
    }

    @Test(.enabled(if: canRun, "needs a built spanwatch (swift build)"))
    func diffShowsWhatMergeAdded() throws {
        let old = Self.temporary("old.yaml"), new = Self.temporary("new.yaml")
        defer { unlink(old); unlink(new) }
        let learn = Self.scenarios.appendingPathComponent("plant-learn.pcap").path
        try LiveCaptureTests.run([Self.binary, "learn", "-r", learn, "-c", Self.config, "-o", old])
        try LiveCaptureTests.run([Self.binary, "learn", "-r", learn, "-c", Self.config, "-o", new])
        #expect(try LiveCaptureTests.run([Self.binary, "baseline", "diff", old, new]).output == "no differences\n")
        let merged = try LiveCaptureTests.run([Self.binary, "learn", "-r", Self.scenarios.appendingPathComponent("new-host-writes-registers/monitor.pcap").path,
                                               "-c", Self.config, "-o", new, "--merge"])
        #expect(merged.status == 0)
        let diff = try LiveCaptureTests.run([Self.binary, "baseline", "diff", old, new]).output
        #expect(diff.contains("+ host 10.10.1.99\n"))
        #expect(diff.contains("+ edge 10.10.1.99 > 10.10.2.20 tcp/502 modbus\n"))
        #expect(!diff.contains("- "))  // merge only adds, or widens a cycle:
        #expect(diff.contains("~ edge 10.10.1.10 > 10.10.2.21 tcp/502 modbus | polling 999 ms, jitter 8 ms -> 999 ms, jitter 12 ms\n"))
        let show = try LiveCaptureTests.run([Self.binary, "baseline", "show", new]).output
        #expect(show.contains("host 10.10.1.99 | mac 00:0c:29:aa:00:99"))
    }

    @Test(.enabled(if: canRun, "needs a built spanwatch (swift build)"))
    func aBrokenBaselineIsNamedAndMonitoringGoesOn() throws {
        let broken = Self.temporary("broken.yaml")
        defer { unlink(broken) }
        try "version: 1\nedges:\n  - edge: \"10.0.0.1 > nowhere tcp/502\"\n".write(toFile: broken, atomically: true, encoding: .utf8)
        let run = try LiveCaptureTests.run([Self.binary, "run", "-r", Self.scenarios.appendingPathComponent("critical-operation-listen-only/monitor.pcap").path,
                                            "-c", Self.config, "-b", broken, "--types", "alert"])
        #expect(run.status == 0)
        #expect(run.errors.contains("\(broken):3: 'edges[0].edge' is not 'CLIENT > SERVER"))
        #expect(run.errors.contains("monitoring without a baseline"))
        #expect(try Self.alerts(run.output).contains { Self.kind($0) == "critical_operation" })  // capture went on
        // learn --merge into a broken file refuses (exit 1) rather than overwrite a reviewer's work.
        let merge = try LiveCaptureTests.run([Self.binary, "learn", "-r", Self.scenarios.appendingPathComponent("plant-learn.pcap").path, "-o", broken, "--merge"])
        #expect(merge.status == 1 && merge.errors.contains("\(broken):3:"))
    }

    @Test(.enabled(if: canRun, "needs a built spanwatch (swift build)"))
    func learnModeSwitchesToMonitoringAfterItsPeriod() throws {
        let baseline = Self.temporary("daemon.yaml"), config = Self.temporary("daemon-config.yaml")
        defer { unlink(baseline); unlink(config) }
        // The documented sample, with its baseline section (the last one) set to learn mode.
        let sample = try String(contentsOfFile: Self.config, encoding: .utf8)
        let head = try #require(sample.range(of: "\nbaseline:\n")).lowerBound
        let text = sample[..<head] + "\nbaseline:\n  path: \(baseline)\n  mode: learn\n  learn_for: 25s\n"
        try text.write(toFile: config, atomically: true, encoding: .utf8)
        // One run over the learning stretch, then the stretch with a stranger writing registers.
        let run = try LiveCaptureTests.run([Self.binary, "run", "-c", config, "--types", "alert",
                                            "-r", Self.scenarios.appendingPathComponent("plant-learn.pcap").path,
                                            "-r", Self.scenarios.appendingPathComponent("new-host-writes-registers/monitor.pcap").path])
        #expect(run.status == 0)
        #expect(run.errors.contains("learn mode: learning for 25 s"))
        #expect(run.errors.contains("wrote \(baseline); monitoring with it"))
        let kinds = try Self.alerts(run.output).map(Self.kind)
        #expect(kinds.contains("new_host") && kinds.contains("new_flow"))
        #expect(FileManager.default.fileExists(atPath: baseline))
    }

    @Test(.enabled(if: canRun, "needs a built spanwatch (swift build)"))
    func checkConfigNamesWhatTheDaemonCouldNotUse() throws {
        let config = Self.temporary("check.yaml")
        defer { unlink(config) }
        let cases = [
            ("version: 1\noutputs:\n  eve:\n    path: /nonexistent/spanwatch/eve.json\n", "'outputs.eve.path': directory /nonexistent/spanwatch does not exist"),
            ("version: 1\noutputs:\n  syslog:\n    address: siem:6514\n    spool: /nonexistent/spanwatch/spool\n",
             "'outputs.syslog.spool': directory /nonexistent/spanwatch does not exist"),
            ("version: 1\nsensor:\n  state_directory: /nonexistent/spanwatch/state\n", "'sensor.state_directory': directory /nonexistent/spanwatch does not exist"),
            ("version: 1\noutputs:\n  syslog:\n    address: siem:6514\n    transport: tls\n    tls:\n      ca_file: /nonexistent/ca.pem\n",
             ":7: 'outputs.syslog.tls.ca_file' cannot be read"),
            ("version: 1\ncapture:\n  bpf: \"tcp port\"\n", "'capture.bpf' does not compile"),
        ]
        for (text, message) in cases {
            try text.write(toFile: config, atomically: true, encoding: .utf8)
            let result = try LiveCaptureTests.run([Self.binary, "check-config", "-c", config])
            #expect(result.status == 1 && result.errors.contains(message), "\(result.errors)")
        }
        #expect(try LiveCaptureTests.run([Self.binary, "check-config", "-c", Self.config]).status == 0)
        // A valid file: what the daemon will do with it, output by output.
        try """
        version: 1
        outputs:
          eve:
            - path: \(NSTemporaryDirectory())eve.json
            - path: "-"
              types: [alert]
          syslog:
            address: 127.0.0.1:601
            spool: \(NSTemporaryDirectory())spanwatch-check-spool
            types: [stats, alert]
        metrics:
          listen: 127.0.0.1:9911

        """.write(toFile: config, atomically: true, encoding: .utf8)
        let valid = try LiveCaptureTests.run([Self.binary, "check-config", "-c", config])
        #expect(valid.status == 0)
        #expect(valid.output.contains("  EVE \(NSTemporaryDirectory())eve.json: all types\n  EVE stdout: alert\n"), "\(valid.output)")
        #expect(valid.output.contains("  syslog:127.0.0.1:601 over tcp, spool \(NSTemporaryDirectory())spanwatch-check-spool (256 MiB): alert,stats\n"))
        #expect(valid.output.contains("  metrics on 127.0.0.1:9911\n"))
    }
}

