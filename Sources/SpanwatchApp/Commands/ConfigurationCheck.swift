import SpanwatchCapture

#if canImport(Glibc)
import Glibc
#endif

/// `check-config`: the file is read as the daemon would read it, the BPF expression compiled,
/// the directories the daemon writes into and the baseline checked, without opening an
/// interface. Returns what the daemon will do with it, for the operator reading the check.
public struct ConfigurationCheck {
    public var path: String
    public init(path: String) { self.path = path }

    public func run() throws(CommandFailure) -> [String] {
        let configuration: SpanwatchConfiguration
        do {
            configuration = try SpanwatchConfiguration.load(path: path)
        } catch {
            throw CommandFailure(error.description)
        }
        if let bpf = configuration.bpf, let problem = PcapHandle.validateFilter(bpf) {
            throw CommandFailure("\(path): 'capture.bpf' does not compile: \(problem)")
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
                throw CommandFailure("\(path): '\(place.key)': directory \(directory) does not exist")
            }
        }
        if let baseline = configuration.baselinePath, !configuration.learnMode, access(baseline, F_OK) == 0 {
            do { _ = try BaselineFile.load(path: baseline) } catch { throw CommandFailure("\(path): 'baseline.path': \(error.description)") }
        }
        var lines = ["\(path): configuration OK"]
        func types(_ set: Set<String>?) -> String { set.map { $0.sorted().joined(separator: ",") } ?? "all types" }
        for eve in configuration.eveOutputs { lines.append("  EVE \(eve.path == "-" ? "stdout" : eve.path): \(types(eve.types))") }
        for syslog in configuration.syslogOutputs {
            let transport = switch syslog.transport { case .tcp: "tcp"; case .tls: "tls"; case .udp: "udp" }
            lines.append("  \(syslog.name) over \(transport), spool \(syslog.spoolDirectory) (\(syslog.spoolBytes >> 20) MiB): \(types(syslog.types))")
        }
        if let listen = configuration.metricsListen { lines.append("  metrics on \(listen.host):\(listen.port)") }
        lines.append("  \(configuration.zonePolicy.zones.count) zones, \(configuration.zonePolicy.conduits.count) conduits; baseline: "
                     + (configuration.baselinePath.map { "\($0) (\(configuration.learnMode ? "learn" : "monitor"))" } ?? "none"))
        let marking = configuration.marking
        lines.append("  \(marking.windows.count) maintenance windows (file: \(configuration.maintenanceFile ?? "none")), "
                     + "\(marking.mutes.count) mutes (file: \(configuration.mutesFile ?? "none"))")
        return lines
    }
}
