import SpanwatchProtocols
import Foundation
import SpanwatchApp
import Testing

/// The metrics endpoint scraped again and again during a live run: valid Prometheus text
/// exposition, counters that only rise, and health and readiness answers.
@Suite(.serialized) struct MetricsTests {
    static var canRun: Bool { getuid() == 0 && FileManager.default.isExecutableFile(atPath: LiveCaptureTests.binary) }

    /// A TCP connection to 127.0.0.1:`port`, or nil when nobody listens.
    static func connectLoopback(_ port: Int) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else {
            close(fd)
            return nil
        }
        return fd
    }

    static func get(_ path: String, port: Int) -> (status: String, body: String)? {
        guard let fd = connectLoopback(port) else { return nil }
        defer { close(fd) }
        let request = Array("GET \(path) HTTP/1.0\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var response = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let got = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if got <= 0 { break }
            response += chunk[0..<got]
        }
        let text = String(decoding: response, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { return nil }
        let status = String(text[..<split.lowerBound].split(separator: "\r\n").first ?? "")
        return (status, String(text[split.upperBound...]))
    }

    /// `spanwatch run -i lo` with this config for a few seconds, EVE to /dev/null.
    static func capture(config: String, seconds: Int) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: LiveCaptureTests.binary)
        process.arguments = ["run", "-i", "lo", "-c", config, "--duration", String(seconds), "--eve", "/dev/null"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    @Test(.enabled(if: canRun, "needs root (live capture on lo) and a built spanwatch"))
    func scrapesAreValidAndCountersOnlyRise() throws {
        let port = 30000 + Int(ProcessInfo.processInfo.processIdentifier % 20000)
        let config = NSTemporaryDirectory() + "spanwatch-metrics-\(port).yaml"
        try "version: 1\nmetrics:\n  listen: 127.0.0.1:\(port)\n".write(toFile: config, atomically: true, encoding: .utf8)
        defer { unlink(config) }
        let process = try Self.capture(config: config, seconds: 6)
        defer { if process.isRunning { process.terminate() }; process.waitUntilExit() }
        var previous: [String: Double] = [:]
        var scrapes = 0
        // name, optional {label="value",...} (values escaped), a number.
        let sample = try NSRegularExpression(pattern: #"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*\})? -?[0-9]+(\.[0-9]+)?$"#)
        for attempt in 0..<8 {
            Thread.sleep(forTimeInterval: attempt == 0 ? 2.0 : 0.4)
            guard let (status, body) = Self.get("/metrics", port: port) else { continue }
            #expect(status == "HTTP/1.0 200 OK")
            var types: [String: String] = [:]
            var values: [String: Double] = [:]  // by series: name and labels
            var labelled: [String: Set<Bool>] = [:]  // by family: whether its samples carry labels
            var problems: [String] = []
            for text in body.split(separator: "\n").map(String.init) {
                if text.hasPrefix("# TYPE ") {
                    let parts = text.split(separator: " ")
                    if parts.count != 4 || !["counter", "gauge"].contains(parts[3]) { problems.append("bad TYPE: \(text)") }
                    if types.updateValue(String(parts[3]), forKey: String(parts[2])) != nil { problems.append("TYPE twice: \(text)") }
                    continue
                }
                guard let match = sample.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
                      let nameRange = Range(match.range(at: 1), in: text) else {
                    problems.append("bad sample: \(text)")
                    continue
                }
                let name = String(text[nameRange])
                if types[name] == nil { problems.append("\(name) has no TYPE line before it") }
                if types[name] == "counter" && !name.hasSuffix("_total") { problems.append("counter \(name) without _total") }
                labelled[name, default: []].insert(match.range(at: 2).location != NSNotFound)
                let parts = text.split(separator: " ")
                values[String(parts[0])] = Double(parts[parts.count - 1])
            }
            // A family is all labelled or all not: sum() over a label is the total.
            for (name, kinds) in labelled where kinds.count > 1 { problems.append("\(name) mixes labelled and unlabelled samples") }
            for (series, value) in values where types[String(series.prefix { $0 != "{" })] == "counter" {
                if value < previous[series] ?? 0 { problems.append("\(series) went down") }
            }
            #expect(problems.isEmpty, "\(problems.prefix(10))")
            if !values.isEmpty { scrapes += 1 }
            previous = values
        }
        #expect(scrapes >= 5)
        // Per interface, per kind, per type, per output: labels, with every series there from the start.
        #expect((previous[#"spanwatch_capture_kernel_packets_total{interface="lo"}"#] ?? 0) > 0)  // the scrapes themselves cross lo
        #expect((previous[#"spanwatch_capture_packets_total{interface="lo"}"#] ?? 0) > 0)
        #expect(previous[#"spanwatch_capture_up{interface="lo"}"#] == 1)
        #expect(previous[#"spanwatch_alerts_raised_total{kind="new_host"}"#] != nil)
        #expect(previous[#"spanwatch_events_written_total{event_type="flow"}"#] != nil)
        #expect(previous[#"spanwatch_output_lines_total{output="eve:/dev/null"}"#] != nil)
        #expect((previous["spanwatch_decoder_pkts_total"] ?? 0) > 0)
        #expect(previous[#"spanwatch_build_info{version="\#(SpanwatchVersion.string)"}"#] == 1)
        #expect(Self.get("/healthz", port: port)?.status == "HTTP/1.0 200 OK")
        #expect(Self.get("/readyz", port: port)?.status == "HTTP/1.0 200 OK")
        #expect(Self.get("/nope", port: port)?.status == "HTTP/1.0 404 Not Found")
    }

    /// A syslog receiver that is not there: `/readyz` says so by name, and the output's gauges
    /// are in the metrics under its label.
    @Test(.enabled(if: canRun, "needs root (live capture on lo) and a built spanwatch"))
    func readinessNamesAnAbsentReceiver() throws {
        let port = 30000 + Int((ProcessInfo.processInfo.processIdentifier + 7) % 20000)
        let (directory, receiverPort) = SyslogDeliveryTests.workspace("ready")  // nobody listens there
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = directory + "/spanwatch.yaml"
        try """
        version: 1
        metrics:
          listen: 127.0.0.1:\(port)
        outputs:
          syslog:
            address: 127.0.0.1:\(receiverPort)
            spool: \(directory)/spool
            drain_timeout: 0s

        """.write(toFile: config, atomically: true, encoding: .utf8)
        let process = try Self.capture(config: config, seconds: 5)
        defer { if process.isRunning { process.terminate() }; process.waitUntilExit() }
        Thread.sleep(forTimeInterval: 2.5)
        let readiness = Self.get("/readyz", port: port)
        #expect(readiness?.status == "HTTP/1.0 503 Service Unavailable")
        #expect(readiness?.body == "syslog:127.0.0.1:\(receiverPort): receiver not connected\n", "\(String(describing: readiness))")
        let metrics = Self.get("/metrics", port: port)?.body ?? ""
        let label = "{output=\"syslog:127.0.0.1:\(receiverPort)\"}"
        #expect(metrics.contains("spanwatch_output_connected\(label) 0\n"), "\(metrics)")
        #expect(metrics.contains("spanwatch_output_pending_bytes\(label) "))
        #expect(metrics.contains("spanwatch_output_oldest_pending_seconds\(label) "))
        #expect(metrics.contains("# TYPE spanwatch_output_failures_total counter\n"))
        #expect(metrics.contains("spanwatch_output_lines_total{output=\"eve:/dev/null\"} "))
    }

    /// `seq` is monotonic per sensor: a live run restarted with the same state directory goes on
    /// from a fresh reserved block, never reusing an `event_id`.
    @Test(.enabled(if: canRun, "needs root (live capture on lo) and a built spanwatch"))
    func seqContinuesAcrossRestarts() throws {
        let directory = NSTemporaryDirectory() + "spanwatch-state-\(ProcessInfo.processInfo.processIdentifier)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = directory + ".yaml"
        try "version: 1\nsensor:\n  name: s1\n  state_directory: \(directory)\n".write(toFile: config, atomically: true, encoding: .utf8)
        defer { unlink(config) }
        func lastSeq() throws -> Int {
            let run = try LiveCaptureTests.run([LiveCaptureTests.binary, "run", "-i", "lo", "-c", config, "--duration", "1", "--types", "stats", "--eve", "-"])
            #expect(run.status == 0, "\(run.errors)")
            let line = try #require(run.output.split(separator: "\n").last)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let spanwatch = try #require(object["spanwatch"] as? [String: Any])
            let seq = try #require(spanwatch["seq"] as? Int)
            #expect(spanwatch["event_id"] as? String == "s1:\(seq)")
            return seq
        }
        let first = try lastSeq()
        let second = try lastSeq()
        #expect(second > first, "\(first) then \(second)")
        #expect(second > 10_000, "a fresh block of 10,000: \(second)")
    }
}
