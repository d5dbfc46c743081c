import ArgumentParser
import SpanwatchApp
import SpanwatchCapture
import SpanwatchFlow
import SpanwatchOutput
import SpanwatchPolicy

#if canImport(Glibc)
import Glibc
#endif

struct Spanwatch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spanwatch",
        abstract: "Passive OT/IoT network monitor: decodes, tracks flows and writes EVE JSON lines.",
        version: SpanwatchVersion.string,
        subcommands: [Decode.self, Run.self, Learn.self, BaselineCommand.self, Alerts.self, CheckConfig.self]
    )
}

enum FileHandle {
    static let standardError = StandardError()
    struct StandardError {
        func write(_ text: String) {
            var text = text
            text.withUTF8 { _ = Glibc.write(2, $0.baseAddress, $0.count) }
        }
    }
}

/// Prints a one-line error and exits 1 (configuration or input error).
func fail(_ message: String) -> ExitCode {
    FileHandle.standardError.write("spanwatch: \(message)\n")
    return ExitCode(1)
}

struct InputOptions: ParsableArguments {
    @Option(name: .customShort("r"), help: "Read packets from a pcap or pcapng file (repeatable).")
    var read: [String] = []

    @Option(name: .shortAndLong, help: "Configuration file (YAML).")
    var config: String?

    @Option(name: .long, help: "Write only these event types, comma separated (e.g. alert,flow,anomaly).")
    var types: String?

    @Flag(name: .long, help: "Fix everything that could vary between runs (offline runs are deterministic already).")
    var deterministic = false

    @Argument(help: "BPF filter expression, as in tcpdump.")
    var expression: [String] = []

    var filter: String? { expression.isEmpty ? nil : expression.joined(separator: " ") }

    func loadConfiguration() throws -> SpanwatchConfiguration {
        guard let config else { return SpanwatchConfiguration() }
        do {
            return try SpanwatchConfiguration.load(path: config)
        } catch {
            throw fail(error.description)
        }
    }

    func typeFilter(_ configuration: SpanwatchConfiguration) throws -> Set<String>? {
        guard let types else { return nil }
        let list = types.split(separator: ",").map { String($0).trimmedOfSpaces() }.filter { !$0.isEmpty }
        for type in list where !SpanwatchConfiguration.knownEventTypes.contains(type) {
            throw ValidationError("unknown event type '\(type)' in --types (known: \(SpanwatchConfiguration.knownEventTypes.sorted().joined(separator: ",")))")
        }
        return Set(list)
    }
}

struct Decode: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Decode capture files and print every protocol event and flow record as JSON lines.")

    @OptionGroup var input: InputOptions

    func validate() throws {
        if input.read.isEmpty { throw ValidationError("decode needs at least one -r FILE") }
    }

    func run() throws {
        let configuration = try input.loadConfiguration()
        // stdout, with --types or else the types of the first configured EVE output.
        let types = try input.typeFilter(configuration) ?? configuration.firstEveTypes
        let filter = input.filter ?? configuration.bpf
        try runOffline(files: input.read, configuration: configuration, types: types, filter: filter, eveOutputs: [EveOutputConfiguration(path: "-")],
                       withPolicy: false)
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Monitor live interfaces or capture files: decode, track flows, write events.")

    @OptionGroup var input: InputOptions

    @Option(name: .customShort("i"), help: "Capture live from this interface (repeatable).")
    var interfaces: [String] = []

    @Option(name: .customShort("l"), help: "Log directory: events go to DIR/eve.json.")
    var logDirectory: String?

    @Option(name: .long, help: "EVE output file, or - for stdout.")
    var eve: String?

    @Option(name: .customShort("b"), help: "Baseline file to monitor with (default: baseline.path of the configuration).")
    var baseline: String?

    @Option(name: .long, help: "Live capture: stop after this many seconds.")
    var duration: Double?

    @Option(name: .customShort("u"), help: "Live capture: after opening the interfaces, run as this user (keeping only CAP_NET_RAW).")
    var user: String?

    @Option(name: .long, help: "Live capture: snap length in bytes.")
    var snaplen: Int?

    @Option(name: .customShort("B"), help: "Live capture: kernel buffer size in MiB.")
    var bufferMiB: Int?

    func validate() throws {
        if !input.read.isEmpty && !interfaces.isEmpty { throw ValidationError("run reads either -r FILE ... or -i IFACE ..., not both") }
        if logDirectory != nil && eve != nil { throw ValidationError("use -l DIR or --eve FILE, not both") }
    }

    func run() throws {
        let configuration = try input.loadConfiguration()
        let types = try input.typeFilter(configuration)
        let filter = input.filter ?? configuration.bpf
        // -l DIR / --eve FILE take the place of the configured EVE outputs (with the first one's types).
        var eveOutputs = configuration.eveOutputs
        if let path = eve ?? logDirectory.map({ $0 + "/eve.json" }) {
            eveOutputs = [EveOutputConfiguration(path: path, types: configuration.firstEveTypes)]
        }
        let use = try baselineUse(configuration)
        if !input.read.isEmpty {
            try runOffline(files: input.read, configuration: configuration, types: types, filter: filter, eveOutputs: eveOutputs, baseline: use)
            return
        }
        let interfaces = self.interfaces.isEmpty ? configuration.interfaces : self.interfaces
        guard !interfaces.isEmpty else {
            throw fail("run needs -r FILE ..., -i IFACE ..., or capture.interfaces in the configuration")
        }
        var options = LiveCaptureOptions()
        options.snapLength = Int32(snaplen ?? configuration.snapLength)
        options.bufferSize = Int32(clamping: bufferMiB.map { $0 << 20 } ?? configuration.bufferSize)
        options.promiscuous = configuration.promiscuous
        let account: (uid: uid_t, gid: gid_t)?
        do { account = try user.map(PrivilegeDrop.lookUp) } catch { throw fail(error.description) }
        let outputs = try openOutputs(configuration, eveOutputs: eveOutputs, types: types, withSyslog: true, live: true)
        let writer = outputs.writer
        let assembly = EngineAssembly(configuration: configuration, output: writer, baseline: use)
        let processor = assembly.processor
        var metrics: MetricsServer? = nil
        if let listen = configuration.metricsListen {
            do { metrics = try MetricsServer(host: listen.host, port: listen.port) } catch { throw fail(error.description) }
            metrics?.start()
        }
        defer { metrics?.stop() }
        let summary: CaptureSummary
        do {
            let baselinePath = baseline ?? configuration.baselinePath
            let started = CaptureRunner.monotonicSeconds()
            var lastStats = started
            let health = CaptureHealth()
            summary = try CaptureRunner.runLive(interfaces, options: options, filter: filter, processor: processor, duration: duration,
                                                everySecond: { status in
                let now = CaptureRunner.monotonicSeconds()
                writer.flush()  // no line waits more than a second in a buffer
                let stats = StatsReport.make(processor: processor, policy: assembly.policy, interfaces: status, outputs: outputs,
                                             uptime: Int64(now - started))
                let down = status.filter { !$0.capturing }.map { "\($0.name): not capturing" }
                metrics?.publish(stats, capturing: down.count < status.count,
                                 problems: down + health.problems(status, engine: processor.counters, now: now) + outputs.readinessProblems)
                if configuration.statsInterval > 0 && now - lastStats >= Double(configuration.statsInterval) {
                    lastStats = now
                    writer.emit(EventContext(timestamp: processor.now, pcapCount: 0, interface: nil, flow: nil), .stats(stats))
                }
            }, notifier: SystemdNotifier(), afterOpen: { () throws(CaptureError) in
                guard let account else { return }
                PrivilegeDrop.handOver(outputs.writableDirectories, to: account)
                do { try PrivilegeDrop.drop(to: account) } catch { throw CaptureError("\(error)") }
            }, reopen: {
                // SIGHUP (logrotate): every EVE file is opened again under its name.
                for problem in writer.reopen() { FileHandle.standardError.write("spanwatch: cannot reopen \(problem); writing on\n") }
            }) {
                // SIGUSR2: reload the baseline; a broken file keeps the one in use.
                guard let baselinePath, let policy = assembly.policy else { return }
                do {
                    let reloaded = try BaselineFile.load(path: baselinePath)
                    policy.monitor(with: reloaded)
                    FileHandle.standardError.write("spanwatch: reloaded \(baselinePath): \(reloaded.summary)\n")
                } catch {
                    FileHandle.standardError.write("spanwatch: \(error); keeping the baseline in use\n")
                }
            }
        } catch {
            throw fail("\(error)")
        }
        writer.emit(EventContext(timestamp: processor.now, pcapCount: 0, interface: nil, flow: nil),
                    .stats(StatsReport.make(processor: processor, policy: assembly.policy, interfaces: summary.interfaces, outputs: outputs)))
        writer.flush()
        reportSummary(summary, processor: processor, policy: assembly.policy)
        finishOutputs(outputs, lastTime: processor.now)
    }
}

extension Run {
    /// Learn mode (config), or the baseline to monitor with. A baseline that does not load is
    /// named with its line, and monitoring goes on without it: capture never stops for it.
    func baselineUse(_ configuration: SpanwatchConfiguration) throws -> BaselineUse {
        let path = baseline ?? configuration.baselinePath
        if configuration.learnMode, baseline == nil, let path {
            var existing = Baseline()
            if access(path, F_OK) == 0 {
                do { existing = try BaselineFile.load(path: path) } catch { throw fail("\(error.description) (learn mode extends it; fix it first)") }
            }
            let duration = configuration.learnFor
            FileHandle.standardError.write("spanwatch: learn mode: learning\(duration.map { " for \($0 / 1_000_000) s of traffic" } ?? ""), then writing \(path)\n")
            return .learn(merging: existing, duration: duration ?? Int64.max / 2) { learned in
                do {
                    try BaselineFile.write(learned, to: path)
                    FileHandle.standardError.write("spanwatch: learned \(learned.summary); wrote \(path); monitoring with it\n")
                } catch let error as ConfigurationError {
                    FileHandle.standardError.write("spanwatch: \(error.description); monitoring with the learned baseline in memory\n")
                } catch {
                    FileHandle.standardError.write("spanwatch: \(error); monitoring with the learned baseline in memory\n")
                }
            }
        }
        guard let path else { return .none }
        do {
            return .monitor(try BaselineFile.load(path: path))
        } catch {
            FileHandle.standardError.write("spanwatch: \(error.description); monitoring without a baseline (zone and detection alerts only)\n")
            return .none
        }
    }
}

struct Learn: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Learn an allowed-flow baseline from traffic and write it as reviewable YAML.")

    @OptionGroup var input: InputOptions

    @Option(name: .customShort("i"), help: "Learn live from this interface (repeatable).")
    var interfaces: [String] = []

    @Option(name: .long, help: "Live capture: learn for this long (e.g. 600, 10m, 2h, 7d).")
    var duration: String?

    @Option(name: .customShort("o"), help: "Write the baseline here (atomically).")
    var output: String

    @Flag(name: .long, help: "Extend the existing baseline at -o instead of replacing it.")
    var merge = false

    func validate() throws {
        if input.read.isEmpty == interfaces.isEmpty { throw ValidationError("learn reads either -r FILE ... or -i IFACE ...") }
        if let duration, Spanwatch.seconds(duration) == nil { throw ValidationError("--duration is not a duration: '\(duration)' (e.g. 600, 10m, 2h)") }
    }

    func run() throws {
        let configuration = try input.loadConfiguration()
        var existing = Baseline()
        if merge {
            do { existing = try BaselineFile.load(path: output) } catch { throw fail(error.description) }
        }
        let filter = input.filter ?? configuration.bpf
        let assembly = EngineAssembly(configuration: configuration, output: DiscardingSink(), baseline: .learn(merging: existing, duration: nil) { _ in })
        let summary: CaptureSummary
        if !input.read.isEmpty {
            let handles: [PcapHandle]
            do { handles = try CaptureRunner.openFiles(input.read, filter: filter) } catch { throw fail(error.description) }
            summary = CaptureRunner.runOffline(handles, processor: assembly.processor)
        } else {
            var options = LiveCaptureOptions()
            options.snapLength = Int32(configuration.snapLength)
            options.bufferSize = Int32(clamping: configuration.bufferSize)
            options.promiscuous = configuration.promiscuous
            do {
                summary = try CaptureRunner.runLive(interfaces, options: options, filter: filter, processor: assembly.processor,
                                                    duration: duration.flatMap(Spanwatch.seconds).map(Double.init))
            } catch {
                throw fail(error.description)
            }
        }
        guard let policy = assembly.policy, let learned = policy.finishLearning() else { throw fail("nothing was learned") }
        do { try BaselineFile.write(learned, to: output) } catch { throw fail(error.description) }
        reportSummary(summary, processor: assembly.processor, policy: policy)
        var line = "spanwatch: learned \(learned.summary)"
        if let dropped = policy.learnerCounters, dropped != BaselineLearner.Counters() {
            line += " (not kept, past the bounds: \(dropped.edgesDropped) edges, \(dropped.hostsDropped) hosts, \(dropped.namesDropped) names)"
        }
        FileHandle.standardError.write(line + "; wrote \(output)\n")
    }
}

struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check-config", abstract: "Validate a configuration file without opening any interface.")

    @Option(name: .shortAndLong, help: "Configuration file (YAML).")
    var config: String

    func run() throws {
        let configuration: SpanwatchConfiguration
        do {
            configuration = try SpanwatchConfiguration.load(path: config)
        } catch {
            throw fail(error.description)
        }
        if let bpf = configuration.bpf, let problem = PcapHandle.validateFilter(bpf) {
            throw fail("\(config): 'capture.bpf' does not compile: \(problem)")
        }
        // The directories the daemon will write into must exist (checked here, on the sensor).
        var places: [(key: String, path: String)] = []
        for eve in configuration.eveOutputs where eve.path != "-" { places.append(("\(eve.key).path", eve.path)) }
        // Spool and state directories are made by the daemon (one level): their parent must exist.
        for syslog in configuration.syslogOutputs { places.append(("\(syslog.key).spool", syslog.spoolDirectory)) }
        if let state = configuration.stateDirectory { places.append(("sensor.state_directory", state)) }
        if let baseline = configuration.baselinePath, configuration.learnMode { places.append(("baseline.path", baseline)) }
        for place in places {
            var directory = String(place.path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/"))
            if directory.isEmpty { directory = place.path.hasPrefix("/") ? "/" : "." }
            var info = stat()
            guard stat(directory, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
                throw fail("\(config): '\(place.key)': directory \(directory) does not exist")
            }
        }
        if let baseline = configuration.baselinePath, !configuration.learnMode, access(baseline, F_OK) == 0 {
            do { _ = try BaselineFile.load(path: baseline) } catch { throw fail("\(config): 'baseline.path': \(error.description)") }
        }
        print("\(config): configuration OK")
        // What the daemon will do with it, for the operator reading the check.
        func types(_ set: Set<String>?) -> String { set.map { $0.sorted().joined(separator: ",") } ?? "all types" }
        for eve in configuration.eveOutputs { print("  EVE \(eve.path == "-" ? "stdout" : eve.path): \(types(eve.types))") }
        for syslog in configuration.syslogOutputs {
            let transport = switch syslog.transport { case .tcp: "tcp"; case .tls: "tls"; case .udp: "udp" }
            print("  \(syslog.name) over \(transport), spool \(syslog.spoolDirectory) (\(syslog.spoolBytes >> 20) MiB): \(types(syslog.types))")
        }
        if let listen = configuration.metricsListen { print("  metrics on \(listen.host):\(listen.port)") }
        print("  \(configuration.zonePolicy.zones.count) zones, \(configuration.zonePolicy.conduits.count) conduits; baseline: "
              + (configuration.baselinePath.map { "\($0) (\(configuration.learnMode ? "learn" : "monitor"))" } ?? "none"))
    }
}

/// Opens every output (a bad path or spool exits 1 naming it) and starts syslog delivery.
func openOutputs(_ configuration: SpanwatchConfiguration, eveOutputs: [EveOutputConfiguration], types: Set<String>?,
                 withSyslog: Bool, live: Bool = false) throws -> OutputAssembly {
    let outputs: OutputAssembly
    do {
        outputs = try OutputAssembly(configuration: configuration, eveOutputs: eveOutputs, types: types, withSyslog: withSyslog, live: live)
    } catch {
        throw fail(error.description)
    }
    for notice in outputs.notices { FileHandle.standardError.write("spanwatch: \(notice)\n") }
    outputs.startDelivery()
    return outputs
}

/// Loss records, flush, and the drain of every syslog output, each reported on stderr.
func finishOutputs(_ outputs: OutputAssembly, lastTime: Int64) {
    for line in outputs.finish(lastTime: lastTime) { FileHandle.standardError.write("spanwatch: \(line)\n") }
}

func runOffline(files: [String], configuration: SpanwatchConfiguration, types: Set<String>?, filter: String?,
                eveOutputs: [EveOutputConfiguration], withPolicy: Bool = true, baseline: BaselineUse = .none) throws {
    let handles: [PcapHandle]
    do {
        handles = try CaptureRunner.openFiles(files, filter: filter)
    } catch {
        throw fail(error.description)
    }
    let outputs = try openOutputs(configuration, eveOutputs: eveOutputs, types: types, withSyslog: withPolicy)
    let writer = outputs.writer
    let assembly = EngineAssembly(configuration: configuration, output: writer, withPolicy: withPolicy, baseline: baseline)
    let summary = CaptureRunner.runOffline(handles, processor: assembly.processor)
    if withPolicy {  // `run` ends with its counters; `decode` writes protocol events and flows only
        writer.emit(EventContext(timestamp: assembly.processor.now, pcapCount: 0, interface: nil, flow: nil),
                    .stats(StatsReport.make(processor: assembly.processor, policy: assembly.policy, outputs: outputs)))
    }
    writer.flush()
    reportSummary(summary, processor: assembly.processor, policy: assembly.policy)
    finishOutputs(outputs, lastTime: assembly.processor.now)
}

/// End-of-run counters on stderr (stdout carries the events).
func reportSummary(_ summary: CaptureSummary, processor: PacketProcessor, policy: PolicyEngine? = nil) {
    let c = processor.counters
    let t = processor.table.counters
    var line = "spanwatch: \(summary.frames) frames, \(c.invalid) invalid, \(c.fragmentsSkipped) fragments skipped, "
    line += "\(t.created) flows (\(t.evicted) evicted), \(c.reassemblyGaps) gaps, \(c.events) events"
    if let policy {
        let p = policy.counters
        line += ", \(p.alerts) alerts (\(p.repeats) repeats, \(p.aggregates) aggregate records"
        if p.rateLimited > 0 { line += ", \(p.rateLimited) held back by the rate limit" }
        line += ")"
    }
    for interface in summary.interfaces {
        let kernel = interface.kernel
        line += ", \(interface.name): \(kernel.packets) received \(kernel.drops) dropped \(kernel.interfaceDrops) if-dropped"
        if interface.reopens > 0 { line += " (reopened \(interface.reopens) times)" }
    }
    FileHandle.standardError.write(line + "\n")
    for error in summary.readErrors {
        FileHandle.standardError.write("spanwatch: read error: \(error)\n")
    }
}

extension Spanwatch {
    /// Seconds from `600`, `30s`, `10m`, `2h`, `7d`.
    static func seconds(_ text: String) -> Int64? {
        let units: [(String, Int64)] = [("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
        for (suffix, multiplier) in units where text.hasSuffix(suffix) {
            guard let number = Int64(text.dropLast(suffix.count)), number > 0 else { return nil }
            return number * multiplier
        }
        guard let number = Int64(text), number > 0 else { return nil }
        return number
    }
}
