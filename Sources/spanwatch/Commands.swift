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
        subcommands: [Decode.self, Run.self, CheckConfig.self]
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
        guard let types else { return configuration.eveTypes }
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
        let types = try input.typeFilter(configuration)
        let filter = input.filter ?? configuration.bpf
        try runOffline(files: input.read, configuration: configuration, types: types, filter: filter, evePath: "-", withPolicy: false)
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

    @Option(name: .customShort("b"), help: "Baseline file (used by monitoring, in a later release).")
    var baseline: String?

    @Option(name: .long, help: "Live capture: stop after this many seconds.")
    var duration: Double?

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
        var evePath = eve ?? configuration.evePath ?? "-"
        if let logDirectory { evePath = logDirectory + "/eve.json" }
        if !input.read.isEmpty {
            try runOffline(files: input.read, configuration: configuration, types: types, filter: filter, evePath: evePath)
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
        let writer = try makeWriter(path: evePath, configuration: configuration, types: types)
        let assembly = EngineAssembly(configuration: configuration, output: writer)
        let processor = assembly.processor
        let summary: CaptureSummary
        do {
            summary = try CaptureRunner.runLive(interfaces, options: options, filter: filter, processor: processor, duration: duration)
        } catch {
            throw fail(error.description)
        }
        writer.flush()
        reportSummary(summary, processor: processor, policy: assembly.policy)
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
        print("\(config): configuration OK")
    }
}

func makeWriter(path: String, configuration: SpanwatchConfiguration, types: Set<String>?) throws -> EveWriter {
    let formatter = EveFormatter(sensorName: configuration.sensorName, types: types)
    if path == "-" { return EveWriter(descriptor: 1, formatter: formatter) }
    do {
        return try EveWriter(path: path, formatter: formatter)
    } catch {
        throw fail(error.description)
    }
}

func runOffline(files: [String], configuration: SpanwatchConfiguration, types: Set<String>?, filter: String?, evePath: String,
                withPolicy: Bool = true) throws {
    let handles: [PcapHandle]
    do {
        handles = try CaptureRunner.openFiles(files, filter: filter)
    } catch {
        throw fail(error.description)
    }
    let writer = try makeWriter(path: evePath, configuration: configuration, types: types)
    let assembly = EngineAssembly(configuration: configuration, output: writer, withPolicy: withPolicy)
    let summary = CaptureRunner.runOffline(handles, processor: assembly.processor)
    writer.flush()
    reportSummary(summary, processor: assembly.processor, policy: assembly.policy)
}

/// End-of-run counters on stderr (stdout carries the events).
func reportSummary(_ summary: CaptureSummary, processor: PacketProcessor, policy: PolicyEngine? = nil) {
    let c = processor.counters
    let t = processor.table.counters
    var line = "spanwatch: \(summary.frames) frames, \(c.invalid) invalid, \(c.fragmentsSkipped) fragments skipped, "
    line += "\(t.created) flows (\(t.evicted) evicted), \(c.reassemblyGaps) gaps, \(c.events) events"
    if let policy { line += ", \(policy.counters.alerts) alerts (\(policy.counters.repeats) repeats)" }
    for (name, kernel) in summary.kernel.sorted(by: { $0.key < $1.key }) {
        line += ", \(name): \(kernel.packets) received \(kernel.drops) dropped \(kernel.interfaceDrops) if-dropped"
    }
    FileHandle.standardError.write(line + "\n")
    for error in summary.readErrors {
        FileHandle.standardError.write("spanwatch: read error: \(error)\n")
    }
}
