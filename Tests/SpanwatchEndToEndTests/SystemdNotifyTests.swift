import SpanwatchProtocols
import Foundation
import Testing

/// Under systemd (Type=notify, WatchdogSec): READY=1 once capture is open, WATCHDOG=1 from the
/// capture loop at half the watchdog period, STOPPING=1 on the way out.
@Suite struct SystemdNotifyTests {
    @Test(.enabled(if: MetricsTests.canRun, "needs root (live capture on lo) and a built spanwatch"))
    func readyWatchdogAndStopping() throws {
        let path = NSTemporaryDirectory() + "spanwatch-notify-\(ProcessInfo.processInfo.processIdentifier).sock"
        unlink(path)
        let listener = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(listener); unlink(path) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in for (index, byte) in path.utf8.enumerated() { raw[index] = byte } }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0)
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))

        let process = Process()
        process.executableURL = URL(fileURLWithPath: LiveCaptureTests.binary)
        process.arguments = ["run", "-i", "lo", "--duration", "3", "--eve", "/dev/null"]
        process.environment = ["NOTIFY_SOCKET": path, "WATCHDOG_USEC": "1000000"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        var messages: [String] = []
        let deadline = Date().addingTimeInterval(8)
        while Date() < deadline && (process.isRunning || messages.last != "STOPPING=1") {
            var buffer = [UInt8](repeating: 0, count: 512)
            let got = buffer.withUnsafeMutableBytes { recv(listener, $0.baseAddress, $0.count, 0) }
            if got > 0 { messages.append(String(decoding: buffer[0..<got], as: UTF8.self)) }
            if !process.isRunning && got <= 0 { break }
        }
        process.waitUntilExit()
        #expect(messages.first?.hasPrefix("READY=1\nSTATUS=capturing on lo") == true, "\(messages)")
        #expect(messages.filter { $0 == "WATCHDOG=1" }.count >= 4, "\(messages)")  // every 0.5 s for 3 s
        #expect(messages.last == "STOPPING=1")
        #expect(process.terminationStatus == 0)
    }
}

/// The shipped units as systemd reads them: `systemd-analyze verify` finds nothing wrong, and
/// the sandbox's exposure score (`security --offline`) stays low: a sensor that is broken into
/// can do little more than capture.
@Suite struct SystemdUnitTests {
    static let analyze = "/usr/bin/systemd-analyze"
    static var canRun: Bool { FileManager.default.isExecutableFile(atPath: analyze) && FileManager.default.isExecutableFile(atPath: LiveCaptureTests.binary) }

    @Test(.enabled(if: canRun, "needs systemd-analyze (systemd) and a built spanwatch"), arguments: ["spanwatch.service", "spanwatch@.service"])
    func unitVerifiesAndIsSandboxed(unit: String) throws {
        let directory = NSTemporaryDirectory() + "spanwatch-units-\(ProcessInfo.processInfo.processIdentifier)"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // The unit names the installed path; point it at the binary just built (a template is
        // checked as an instance of it).
        let source = try String(contentsOfFile: SharedCorpus.repositoryRoot.appendingPathComponent("systemd/\(unit)").path, encoding: .utf8)
        let name = unit.replacingOccurrences(of: "@.", with: "@eth1.")
        let path = directory + "/" + name
        try source.replacingOccurrences(of: "/usr/local/bin/spanwatch", with: LiveCaptureTests.binary).write(toFile: path, atomically: true, encoding: .utf8)
        let verify = try LiveCaptureTests.run([Self.analyze, "verify", "--man=no", path])
        #expect(verify.status == 0 && !verify.errors.contains(name), "\(verify.errors)")
        let security = try LiveCaptureTests.run([Self.analyze, "security", "--offline=yes", "--threshold=25", path])
        let score = security.output.range(of: #"Overall exposure level for \S+: ([0-9.]+)"#, options: .regularExpression)
            .flatMap { Double(security.output[$0].split(separator: " ").last { Double($0) != nil } ?? "") }
        #expect(score != nil && score! <= 2.5, "\(security.output.suffix(300))")
    }
}

extension SystemdUnitTests {
    /// strace present and allowed to trace (a container without CAP_SYS_PTRACE is not).
    static let canTrace: Bool = {
        guard canRun && MetricsTests.canRun && FileManager.default.isExecutableFile(atPath: "/usr/bin/strace") else { return false }
        return (try? LiveCaptureTests.run(["/usr/bin/strace", "-qq", "-o", "/dev/null", "/bin/true"]).status) == 0
    }()

    /// The system calls a group names, groups within it expanded (`systemd-analyze syscall-filter`).
    static func syscalls(in group: String, seen: inout Set<String>) throws -> Set<String> {
        var out = Set<String>()
        let listing = try LiveCaptureTests.run([analyze, "syscall-filter", group]).output
        for line in listing.split(separator: "\n").dropFirst().map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("@") {
                if seen.insert(line).inserted { out.formUnion(try syscalls(in: line, seen: &seen)) }
            } else {
                out.insert(line)
            }
        }
        return out
    }

    /// The daemon at work (live capture, an EVE file, a syslog spool with its delivery thread,
    /// metrics scraped, SIGHUP) makes no system call the unit's SystemCallFilter= forbids, so the
    /// sandbox cannot kill it (SIGSYS) in the field.
    @Test(.enabled(if: canTrace, "needs root, strace (allowed to trace), systemd-analyze and a built spanwatch"))
    func theDaemonStaysInsideTheUnitsSystemCallFilter() throws {
        let unit = try String(contentsOfFile: SharedCorpus.repositoryRoot.appendingPathComponent("systemd/spanwatch.service").path, encoding: .utf8)
        var allowed = Set<String>()
        var denied = Set<String>()
        for line in unit.split(separator: "\n") where line.hasPrefix("SystemCallFilter=") {
            var value = String(line.dropFirst("SystemCallFilter=".count))
            let deny = value.hasPrefix("~")
            if deny { value.removeFirst() }
            for group in value.split(separator: " ").map(String.init) {
                var seen = Set<String>()
                let names = group.hasPrefix("@") ? try Self.syscalls(in: group, seen: &seen) : [group]
                if deny { denied.formUnion(names) } else { allowed.formUnion(names) }
            }
        }
        #expect(allowed.count > 100 && !denied.isEmpty)
        let permitted = allowed.subtracting(denied)
        let (directory, port) = SyslogDeliveryTests.workspace("syscalls")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let metricsPort = 30000 + Int((ProcessInfo.processInfo.processIdentifier + 11) % 20000)
        let config = directory + "/spanwatch.yaml"
        try """
        version: 1
        metrics:
          listen: 127.0.0.1:\(metricsPort)
        outputs:
          stats_interval: 1s
          eve:
            path: \(directory)/eve.json
          syslog:
            address: 127.0.0.1:\(port)
            spool: \(directory)/spool

        """.write(toFile: config, atomically: true, encoding: .utf8)
        let trace = directory + "/trace.txt"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/strace")
        process.arguments = ["-f", "-qq", "-o", trace, LiveCaptureTests.binary, "run", "-i", "lo", "-c", config, "--duration", "4"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() }; process.waitUntilExit() }
        Thread.sleep(forTimeInterval: 2.0)
        _ = MetricsTests.get("/metrics", port: metricsPort)
        _ = MetricsTests.get("/readyz", port: metricsPort)
        let daemon = try LiveCaptureTests.run(["pgrep", "-f", "-n", "spanwatch run -i lo -c \(config)"]).output
        if let pid = Int32(daemon.trimmingCharacters(in: .whitespacesAndNewlines)) { kill(pid, SIGHUP) }
        process.waitUntilExit()
        let used = Set(try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n").compactMap { line -> String? in
            let text = line.drop { $0.isNumber || $0 == " " }
            guard let open = text.firstIndex(of: "("), text.first?.isLetter == true else { return nil }
            return String(text[..<open])
        })
        #expect(used.contains("accept") && used.contains("fsync") && used.contains("rename"), "the trace saw the daemon at work: \(used.sorted())")
        let forbidden = used.subtracting(permitted).subtracting(["execve"])  // strace's own exec of the binary
        #expect(forbidden.isEmpty, "forbidden by the unit: \(forbidden.sorted())")
    }
}
