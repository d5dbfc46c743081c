import SpanwatchProtocols
import Foundation
import Testing

/// Live capture through a veth pair: tcpreplay sends the sample plant into one end (inside a
/// network namespace the test creates), `spanwatch run -i` listens on the other, and the Modbus
/// transactions it reports equal those of `spanwatch decode -r` on the same file.
@Suite(.serialized) struct LiveCaptureTests {
    static let binary = SharedCorpus.repositoryRoot.appendingPathComponent(".build/debug/spanwatch").path
    static let sample = SharedCorpus.repositoryRoot.appendingPathComponent("samples/sample-plant.pcap").path

    static var canRun: Bool {
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/tcpreplay")
            && (FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") || FileManager.default.isExecutableFile(atPath: "/sbin/ip"))
            && FileManager.default.isExecutableFile(atPath: binary)
    }

    @discardableResult
    static func run(_ arguments: [String], timeout: TimeInterval = 30, input: String? = nil) throws -> (status: Int32, output: String, errors: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        // Standard error goes to a file: a pipe nobody reads could fill and stall the process.
        let errorPath = FileManager.default.temporaryDirectory.appendingPathComponent("spanwatch-test-stderr-\(UUID().uuidString)").path
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        defer { unlink(errorPath) }
        process.standardError = FileHandle(forWritingAtPath: errorPath)
        if let input {
            let inputPipe = Pipe()
            process.standardInput = inputPipe
            inputPipe.fileHandleForWriting.write(Data(input.utf8))
            inputPipe.fileHandleForWriting.closeFile()
        }
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        var data = Data()
        while process.isRunning && Date() < deadline {
            data.append(pipe.fileHandleForReading.availableData)
        }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        data.append(pipe.fileHandleForReading.readDataToEndOfFile())
        let errors = (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
        return (process.terminationStatus, String(decoding: data, as: UTF8.self), errors)
    }

    /// The Modbus objects of every transaction, in order (timestamps and flow ids differ live).
    static func transactions(_ output: String) throws -> [String] {
        try output.split(separator: "\n").compactMap { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            guard object["event_type"] as? String == "modbus" else { return nil }
            var modbus = object["modbus"] as! [String: Any]
            modbus.removeValue(forKey: "latency_us")
            let data = try JSONSerialization.data(withJSONObject: [modbus, object["src_ip"]!, object["dest_port"]!], options: [.sortedKeys])
            return String(decoding: data, as: UTF8.self)
        }
    }

    @Test(.enabled(if: canRun, "needs root, iproute2, tcpreplay and a built spanwatch (swift build)"))
    func liveCaptureMatchesOfflineDecode() throws {
        let id = ProcessInfo.processInfo.processIdentifier % 10000
        let veth = try VethPair(namespace: "swtest\(id)", host: "swh\(id)", peer: "swp\(id)")
        let namespace = veth.namespace, host = veth.host, peer = veth.peer
        defer {
            veth.remove()
        }

        let offline = try Self.run([Self.binary, "decode", "-r", Self.sample, "--types", "modbus"])
        let expected = try Self.transactions(offline.output)
        #expect(expected.count == 123)

        // Listen (bounded by --duration), give libpcap a moment, replay at top speed, collect.
        let listener = Process()
        listener.executableURL = URL(fileURLWithPath: Self.binary)
        listener.arguments = ["run", "-i", host, "--duration", "6", "--types", "modbus", "--eve", "-", "tcp port 502"]
        let pipe = Pipe()
        listener.standardOutput = pipe
        let errors = Pipe()
        listener.standardError = errors
        try listener.run()
        Thread.sleep(forTimeInterval: 1.5)
        let replay = try Self.run(["ip", "netns", "exec", namespace, "tcpreplay", "--topspeed", "-i", peer, Self.sample])
        #expect(replay.status == 0)
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        listener.waitUntilExit()
        let summary = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(listener.terminationStatus == 0)
        let live = try Self.transactions(String(decoding: output, as: UTF8.self))
        #expect(live == expected, "live \(live.count) vs offline \(expected.count) transactions; \(summary)")
        #expect(summary.contains("\(host): ") && summary.contains(" 0 dropped"), "kernel counters: \(summary)")
    }

    /// SIGUSR2 swaps the baseline of a running daemon: the stranger's traffic passes while the
    /// baseline knows it, and after a reload with one that does not, the same traffic is new.
    /// The same signal reads the mutes file again: a mute added meanwhile marks the new flow.
    @Test(.enabled(if: canRun, "needs root, iproute2, tcpreplay and a built spanwatch (swift build)"))
    func sigusr2ReloadsTheBaseline() throws {
        let id = ProcessInfo.processInfo.processIdentifier % 10000 + 1
        let veth = try VethPair(namespace: "swrl\(id)", host: "swrh\(id)", peer: "swrp\(id)")
        let namespace = veth.namespace, host = veth.host, peer = veth.peer
        let scenarios = ScenarioTests.folder
        let learn = scenarios.appendingPathComponent("plant-learn.pcap").path
        let stranger = scenarios.appendingPathComponent("new-host-writes-registers/monitor.pcap").path
        let baseline = FileManager.default.temporaryDirectory.appendingPathComponent("spanwatch-reload-\(id).yaml").path
        defer {
            veth.remove()
            unlink(baseline)
        }
        // First a baseline that knows the stranger (learned from both stretches).
        try Self.run([Self.binary, "learn", "-r", learn, "-r", stranger, "-o", baseline])

        // Closed flows expire after a second, so the second replay's connections are new flows.
        let config = baseline + ".config.yaml"
        try "version: 1\ntimeouts:\n  closed: 1\n  new: 1\nalerts:\n  mutes_file: \(baseline).mutes.yaml\n".write(toFile: config, atomically: true, encoding: .utf8)
        defer { unlink(config); unlink(baseline + ".mutes.yaml") }
        let listener = Process()
        listener.executableURL = URL(fileURLWithPath: Self.binary)
        listener.arguments = ["run", "-i", host, "-c", config, "-b", baseline, "--duration", "12", "--types", "alert", "--eve", "-"]
        let pipe = Pipe()
        listener.standardOutput = pipe
        let errorPath = FileManager.default.temporaryDirectory.appendingPathComponent("spanwatch-reload-\(id).err").path
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        defer { unlink(errorPath) }
        listener.standardError = FileHandle(forWritingAtPath: errorPath)
        try listener.run()
        Thread.sleep(forTimeInterval: 1.5)
        try Self.run(["ip", "netns", "exec", namespace, "tcpreplay", "--topspeed", "-i", peer, stranger])
        Thread.sleep(forTimeInterval: 1.0)
        // Now a baseline without the stranger, and the signal; then the same traffic again.
        try Self.run([Self.binary, "learn", "-r", learn, "-o", baseline])
        try Self.run([Self.binary, "mutes", "add", "-c", config, "--name", "stranger-flow", "--kind", "new_flow", "--src", "10.10.1.99",
                      "--reason", "known laptop", "--owner", "soc"])
        kill(listener.processIdentifier, SIGUSR2)
        Thread.sleep(forTimeInterval: 2.0)
        try Self.run(["ip", "netns", "exec", namespace, "tcpreplay", "--topspeed", "-i", peer, stranger])
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        listener.waitUntilExit()
        let errors = (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
        #expect(listener.terminationStatus == 0)
        #expect(errors.contains("reloaded \(baseline): 8 hosts"), "\(errors)")
        #expect(errors.contains("reloaded 0 maintenance windows, 1 mutes"), "\(errors)")
        let newHosts = output.split(separator: "\n").filter { $0.contains("\"kind\":\"new_host\"") }
        #expect(newHosts.count == 1 && newHosts.first?.contains("10.10.1.99") == true, "\(output)")
        let newFlows = output.split(separator: "\n").filter { $0.contains("\"kind\":\"new_flow\"") }
        #expect(!newFlows.isEmpty && newFlows.allSatisfy { $0.contains("\"muted\":\"stranger-flow\"") }, "\(output)")
        #expect(!newHosts[0].contains("\"muted\""))
    }

    /// SIGTERM while traffic flows: every open flow gets its final record (`reason: shutdown`),
    /// the stats record closes the output, and the exit status is 0.
    @Test(.enabled(if: canRun, "needs root, iproute2, tcpreplay and a built spanwatch (swift build)"))
    func sigtermUnderLoadFlushesAndExitsZero() throws {
        let id = ProcessInfo.processInfo.processIdentifier % 10000 + 3
        let veth = try VethPair(namespace: "swtm\(id)", host: "swth\(id)", peer: "swtp\(id)")
        let namespace = veth.namespace, host = veth.host, peer = veth.peer
        defer {
            veth.remove()
        }
        let plant = SharedCorpus.repositoryRoot.appendingPathComponent("samples/plant/plant.pcap").path
        let (listener, pipe) = try Self.startListener(["run", "-i", host, "--types", "flow,stats", "--eve", "-"])
        // Traffic at a steady rate (ten times real time), and SIGTERM in the middle of it.
        let replay = Process()
        replay.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        replay.arguments = ["ip", "netns", "exec", namespace, "tcpreplay", "--multiplier=10", "-i", peer, plant]
        replay.standardOutput = FileHandle.nullDevice
        replay.standardError = FileHandle.nullDevice
        try replay.run()
        Thread.sleep(forTimeInterval: 3.0)
        kill(listener.processIdentifier, SIGTERM)
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        listener.waitUntilExit()
        replay.waitUntilExit()
        #expect(listener.terminationStatus == 0)
        let lines = output.split(separator: "\n")
        #expect(lines.contains { $0.contains("\"reason\":\"shutdown\"") }, "\(lines.count) lines")
        #expect(lines.last?.contains("\"event_type\":\"stats\"") == true)
        #expect(lines.allSatisfy { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) != nil })  // no line cut short
    }

    /// SIGTERM while alerts are held for aggregation (the port sweep repeats its zone and scan
    /// alerts; the aggregate interval is 5 minutes, so nothing is due before the stop): the
    /// aggregate records are written at the stop with their counts so far. Every occurrence the
    /// closing stats count (raised + repeats) is in the output: an alert or an aggregate's count.
    @Test(.enabled(if: canRun, "needs root, iproute2, tcpreplay and a built spanwatch (swift build)"))
    func sigtermWritesTheAlertsHeldForAggregation() throws {
        let id = ProcessInfo.processInfo.processIdentifier % 10000 + 7
        let veth = try VethPair(namespace: "swag\(id)", host: "swah\(id)", peer: "swap\(id)")
        defer { veth.remove() }
        let plant = SharedCorpus.repositoryRoot.appendingPathComponent("samples/plant/plant.pcap").path
        let config = NSTemporaryDirectory() + "spanwatch-aggregate-\(id).yaml"
        try "version: 1\nalerts:\n  aggregate_interval: 5m\n".write(toFile: config, atomically: true, encoding: .utf8)
        defer { unlink(config) }
        let (listener, pipe) = try Self.startListener(["run", "-i", veth.host, "-c", config, "--types", "alert,stats", "--eve", "-"])
        try Self.run(["ip", "netns", "exec", veth.namespace, "tcpreplay", "--topspeed", "-i", veth.peer, plant])
        Thread.sleep(forTimeInterval: 1.0)
        kill(listener.processIdentifier, SIGTERM)
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        listener.waitUntilExit()
        #expect(listener.terminationStatus == 0)
        let records = output.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let alerts = records.filter { $0["event_type"] as? String == "alert" }.compactMap { $0["spanwatch"] as? [String: Any] }
        let aggregates = alerts.compactMap { $0["aggregate"] as? [String: Any] }
        let stats = try #require(records.last?["stats"] as? [String: Any])
        let counted = try #require(stats["alerts"] as? [String: Any])
        let raised = try #require(counted["raised"] as? Int), repeats = try #require(counted["repeats"] as? Int)
        #expect(repeats > 0 && !aggregates.isEmpty, "\(counted)")
        #expect(alerts.count - aggregates.count == raised)
        #expect(aggregates.reduce(0) { $0 + ($1["count"] as? Int ?? 0) } == repeats, "\(aggregates)")
        // Sequence numbers run without a gap through the alerts, the aggregates and the stats.
        let sequence = records.compactMap { ($0["spanwatch"] as? [String: Any])?["seq"] as? Int }
        #expect(sequence == Array((sequence.first ?? 0)..<((sequence.first ?? 0) + sequence.count)))
    }

    /// An interface that disappears (deleted and created again, as a driver reload does) is
    /// reopened every second; capture goes on with the traffic after it.
    @Test(.enabled(if: canRun, "needs root, iproute2, tcpreplay and a built spanwatch (swift build)"))
    func aVanishedInterfaceIsReopened() throws {
        let id = ProcessInfo.processInfo.processIdentifier % 10000 + 4
        let veth = try VethPair(namespace: "swrp\(id)", host: "swrh\(id)x", peer: "swrq\(id)")
        let namespace = veth.namespace, host = veth.host, peer = veth.peer
        defer {
            veth.remove()
        }
        let plant = SharedCorpus.repositoryRoot.appendingPathComponent("samples/plant/plant.pcap").path
        let before = try Self.transactions(try Self.run([Self.binary, "decode", "-r", Self.sample, "--types", "modbus"]).output).count
        let after = try Self.transactions(try Self.run([Self.binary, "decode", "-r", plant, "--types", "modbus"]).output).count
        let listener = Process()
        listener.executableURL = URL(fileURLWithPath: Self.binary)
        let evePath = NSTemporaryDirectory() + "spanwatch-reopen-\(id).json"
        defer { unlink(evePath) }
        let config = NSTemporaryDirectory() + "spanwatch-reopen-\(id).yaml"
        try "version: 1\noutputs:\n  stats_interval: 1s\n".write(toFile: config, atomically: true, encoding: .utf8)
        defer { unlink(config) }
        listener.arguments = ["run", "-i", host, "-c", config, "--duration", "10", "--types", "modbus,stats", "--eve", evePath]
        listener.standardOutput = FileHandle.nullDevice
        let errorPath = NSTemporaryDirectory() + "spanwatch-reopen-\(id).err"
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        defer { unlink(errorPath) }
        listener.standardError = FileHandle(forWritingAtPath: errorPath)
        try listener.run()
        Thread.sleep(forTimeInterval: 1.5)
        try Self.run(["ip", "netns", "exec", namespace, "tcpreplay", "--topspeed", "-i", peer, Self.sample])
        Thread.sleep(forTimeInterval: 1.0)  // read before it goes: a vanished interface takes its unread buffer along
        try Self.run(["ip", "link", "del", host])  // gone (its peer in the namespace goes with it)
        Thread.sleep(forTimeInterval: 1.5)
        try veth.link()
        Thread.sleep(forTimeInterval: 2.5)  // reopened within a second or two
        try Self.run(["ip", "netns", "exec", namespace, "tcpreplay", "--topspeed", "-i", peer, plant])
        listener.waitUntilExit()
        let output = (try? String(contentsOfFile: evePath, encoding: .utf8)) ?? ""
        let errors = (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
        #expect(listener.terminationStatus == 0)
        #expect(errors.contains("reopening \(host) every second") && errors.contains("\(host): capturing again"), "\(errors)")
        let live = try Self.transactions(output).count
        #expect(live == before + after, "live \(live), offline \(before) + \(after)")
        // The stats say it: not capturing while it was gone, then capturing again, reopened once.
        let states = output.split(separator: "\n").compactMap { line -> [String: Int]? in
            guard line.contains("\"event_type\":\"stats\""),
                  let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let capture = (object["stats"] as? [String: Any])?["capture"] as? [String: Any] else { return nil }
            return (capture["interfaces"] as? [String: [String: Int]])?[host]
        }
        #expect(states.count >= 5)
        #expect(states.contains { $0["up"] == 0 }, "\(states)")
        #expect(states.last?["up"] == 1 && states.last?["reopens"] == 1, "\(states)")
    }

    /// `spanwatch ARGUMENTS` with its EVE lines on a pipe (standard error discarded), given
    /// 1.5 s to open its interfaces.
    static func startListener(_ arguments: [String]) throws -> (Process, Pipe) {
        let listener = Process()
        listener.executableURL = URL(fileURLWithPath: binary)
        listener.arguments = arguments
        let pipe = Pipe()
        listener.standardOutput = pipe
        listener.standardError = FileHandle.nullDevice
        try listener.run()
        Thread.sleep(forTimeInterval: 1.5)
        return (listener, pipe)
    }

    /// The packets tcpreplay says it sent ("Actual: N packets ...").
    static func packetsSent(by output: String) throws -> Int {
        let text = try #require(output.range(of: #"Actual: (\d+) packets"#, options: .regularExpression).map { output[$0] })
        return try #require(Int(text.split(separator: " ")[1]))
    }

    /// SIGTERM, then the last line (the closing stats event): its capture section, decoded
    /// packets, and the kernel's received and dropped counts.
    static func stopAndReadFinalStats(_ listener: Process, _ pipe: Pipe) throws -> (capture: [String: Any], decoded: Int, received: Int, dropped: Int) {
        kill(listener.processIdentifier, SIGTERM)
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        listener.waitUntilExit()
        let last = try #require(output.split(separator: "\n").last)
        let stats = try #require((try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])?["stats"] as? [String: Any])
        let capture = try #require(stats["capture"] as? [String: Any])
        let decoded = try #require((stats["decoder"] as? [String: Int])?["pkts"])
        return (capture, decoded, try #require(capture["kernel_packets"] as? Int), try #require(capture["kernel_drops"] as? Int))
    }

    /// tcpreplay at top speed: the final stats event accounts for every frame sent: what the
    /// kernel received is what was sent, and what was decoded plus what the kernel dropped is
    /// what it received.
    @Test(.enabled(if: canRun, "needs root, iproute2, tcpreplay and a built spanwatch (swift build)"))
    func statsAccountForEveryFrameSentAtTopSpeed() throws {
        let id = ProcessInfo.processInfo.processIdentifier % 10000 + 6
        let veth = try VethPair(namespace: "swts\(id)", host: "swth\(id)s", peer: "swtq\(id)")
        let namespace = veth.namespace, host = veth.host, peer = veth.peer
        defer {
            veth.remove()
        }
        let plant = SharedCorpus.repositoryRoot.appendingPathComponent("samples/plant/plant.pcap").path
        let (listener, pipe) = try Self.startListener(["run", "-i", host, "--types", "stats", "--eve", "-"])
        let replay = try Self.run(["ip", "netns", "exec", namespace, "tcpreplay", "--topspeed", "--loop=20", "-i", peer, plant], timeout: 60)
        let sent = try Self.packetsSent(by: replay.output)
        Thread.sleep(forTimeInterval: 1.5)
        let (capture, decoded, kernelPackets, kernelDrops) = try Self.stopAndReadFinalStats(listener, pipe)
        #expect(sent == 20 * 1365 || sent > 20_000)
        #expect(kernelPackets == sent, "kernel \(capture), sent \(sent)")
        #expect(decoded + kernelDrops == kernelPackets, "decoded \(decoded), kernel \(capture)")
        // The same, per interface: what spanwatch read from it, and that it is capturing.
        let interface = try #require((capture["interfaces"] as? [String: [String: Int]])?[host])
        #expect(interface["kernel_packets"] == kernelPackets && interface["kernel_drops"] == kernelDrops)
        #expect(interface["packets"] == decoded && interface["up"] == 1 && interface["reopens"] == 0, "\(interface)")
    }

    /// The reader stalls (SIGSTOP, as a consumer too slow for a burst would) with a 1 MiB
    /// kernel buffer while tcpreplay sends at top speed: the kernel drops, and the drops are
    /// counted: received is what was sent, decoded plus dropped is what was received, and the
    /// metrics endpoint says the same as the stats event.
    @Test(.enabled(if: canRun, "needs root, iproute2, tcpreplay and a built spanwatch (swift build)"))
    func kernelDropsAreCountedWhenTheReaderStalls() throws {
        let id = ProcessInfo.processInfo.processIdentifier % 10000 + 8
        let veth = try VethPair(namespace: "swkd\(id)", host: "swkh\(id)d", peer: "swkq\(id)")
        let namespace = veth.namespace, host = veth.host, peer = veth.peer
        defer { veth.remove() }
        let port = 20000 + Int(id)
        let config = NSTemporaryDirectory() + "spanwatch-drops-\(id).yaml"
        try "version: 1\nmetrics:\n  listen: 127.0.0.1:\(port)\n".write(toFile: config, atomically: true, encoding: .utf8)
        defer { unlink(config) }
        let plant = SharedCorpus.repositoryRoot.appendingPathComponent("samples/plant/plant.pcap").path
        let (listener, pipe) = try Self.startListener(["run", "-i", host, "-c", config, "-B", "1", "--types", "stats", "--eve", "-"])
        defer { if listener.isRunning { kill(listener.processIdentifier, SIGKILL) } }
        kill(listener.processIdentifier, SIGSTOP)
        let replay = try Self.run(["ip", "netns", "exec", namespace, "tcpreplay", "--topspeed", "--loop=20", "-i", peer, plant], timeout: 60)
        kill(listener.processIdentifier, SIGCONT)
        let sent = try Self.packetsSent(by: replay.output)
        Thread.sleep(forTimeInterval: 2.5)  // the ring is read, the counters published
        let scraped = MetricsTests.get("/metrics", port: port)?.body ?? ""
        let readiness = MetricsTests.get("/readyz", port: port)
        func metric(_ name: String) -> Int? {
            scraped.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Int($0.split(separator: " ")[1]) }
        }
        let (capture, decoded, received, dropped) = try Self.stopAndReadFinalStats(listener, pipe)
        #expect(listener.terminationStatus == 0)
        #expect(received == sent, "kernel \(capture), sent \(sent)")
        #expect(dropped > 0, "a 1 MiB buffer holds fewer than \(sent) frames")
        #expect(decoded + dropped == received, "decoded \(decoded), kernel \(capture)")
        #expect(metric("spanwatch_capture_kernel_drops_total{interface=\"\(host)\"}") == dropped, "\(scraped.prefix(600))")
        #expect(metric("spanwatch_capture_kernel_packets_total{interface=\"\(host)\"}") == received)
        #expect(metric("spanwatch_decoder_pkts_total") == decoded)
        // Not ready while the kernel drops: the sensor is blind to part of the traffic.
        #expect(readiness?.status == "HTTP/1.0 503 Service Unavailable", "\(String(describing: readiness))")
        #expect(readiness?.body.contains("\(host): the kernel dropped packets in the last 60 s") == true, "\(String(describing: readiness))")
    }
}

/// A veth pair for live tests: `host` stays here (spanwatch captures on it), `peer` goes into a
/// network namespace of its own (tcpreplay sends from it), both up and without IPv6 (as on a SPAN
/// NIC: no router solicitations of its own). `remove()` deletes both.
struct VethPair {
    let namespace: String
    let host: String
    let peer: String

    init(namespace: String, host: String, peer: String) throws {
        self.namespace = namespace
        self.host = host
        self.peer = peer
        try LiveCaptureTests.run(["ip", "netns", "add", namespace])
        try link()
    }

    /// Creates the pair (again, after a test deleted it).
    func link() throws {
        try LiveCaptureTests.run(["ip", "link", "add", host, "type", "veth", "peer", "name", peer])
        try LiveCaptureTests.run(["ip", "link", "set", peer, "netns", namespace])
        try LiveCaptureTests.run(["sysctl", "-qw", "net.ipv6.conf.\(host).disable_ipv6=1"])
        try LiveCaptureTests.run(["ip", "netns", "exec", namespace, "sysctl", "-qw", "net.ipv6.conf.\(peer).disable_ipv6=1"])
        try LiveCaptureTests.run(["ip", "link", "set", host, "up"])
        try LiveCaptureTests.run(["ip", "netns", "exec", namespace, "ip", "link", "set", peer, "up"])
    }

    func remove() {
        _ = try? LiveCaptureTests.run(["ip", "link", "del", host])
        _ = try? LiveCaptureTests.run(["ip", "netns", "del", namespace])
    }
}
