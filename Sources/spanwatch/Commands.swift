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
        subcommands: [Decode.self, Run.self, Learn.self, BaselineCommand.self, MaintenanceCommand.self, MutesCommand.self, Alerts.self, CheckConfig.self, Protocols.self]
    )
}

/// Prints a one-line error and exits 1 (configuration or input error).
func fail(_ message: String) -> ExitCode {
    StandardError.write("spanwatch: \(message)\n")
    return ExitCode(1)
}

/// Runs an app-module command; its failure is printed as one line and exits 1.
func perform<T>(_ command: () throws(CommandFailure) -> T) throws -> T {
    do { return try command() } catch { throw fail(error.description) }
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
        try perform { () throws(CommandFailure) in
            try OfflineRun(files: input.read, configuration: configuration, types: types, filter: filter,
                           eveOutputs: [EveOutputConfiguration(path: "-")], withPolicy: false).run()
        }
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
        let use = try perform { () throws(CommandFailure) in try BaselineUse.chosen(by: configuration, file: baseline) }
        if !input.read.isEmpty {
            try perform { () throws(CommandFailure) in
                try OfflineRun(files: input.read, configuration: configuration, types: types, filter: filter, eveOutputs: eveOutputs,
                               baseline: use).run()
            }
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
        try perform { () throws(CommandFailure) in
            try LiveRun(interfaces: interfaces, configuration: configuration, types: types, filter: filter, eveOutputs: eveOutputs,
                        baseline: use, baselinePath: baseline ?? configuration.baselinePath, options: options, duration: duration,
                        user: user).run()
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
        try perform { () throws(CommandFailure) in
            try BaselineLearning(files: input.read, interfaces: interfaces, configuration: configuration, filter: input.filter ?? configuration.bpf,
                                 duration: duration.flatMap(Spanwatch.seconds).map(Double.init), output: output, merge: merge).run()
        }
    }
}

struct Protocols: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the protocols spanwatch parses: ports, event types, limits and baseline operations.")

    func run() throws {
        print(ProtocolCatalog.markdown(), terminator: "")
    }
}

struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check-config", abstract: "Validate a configuration file without opening any interface.")

    @Option(name: .shortAndLong, help: "Configuration file (YAML).")
    var config: String

    func run() throws {
        for line in try perform({ () throws(CommandFailure) in try ConfigurationCheck(path: config).run() }) { print(line) }
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
