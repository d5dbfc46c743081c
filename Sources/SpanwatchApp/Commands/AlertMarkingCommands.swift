import Foundation
import SpanwatchFlow
import SpanwatchPolicy
import SpanwatchWire

/// `spanwatch maintenance add|list` and `spanwatch mutes add|show|diff`: the operator's side of
/// maintenance windows and mutes. `add` appends an entry to its file (kept as the operator wrote
/// it, comments and all), after checking the whole file with the config as the daemon will
/// (names, times, overlaps); the daemon reads the files again on SIGUSR2.
public enum AlertMarkingCommands {
    /// A maintenance window as given on the command line.
    public struct WindowEntry {
        public var name: String
        public var hosts: [String] = []
        public var zones: [String] = []
        public var conduits: [String] = []
        /// RFC 3339, or nil for now.
        public var start: String?
        public var end: String?
        public var duration: String?
        public var reason: String
        public var owner: String
        public init(name: String, reason: String, owner: String) {
            self.name = name
            self.reason = reason
            self.owner = owner
        }
    }

    /// A mute as given on the command line.
    public struct MuteEntry {
        public var name: String
        public var kind: String?
        public var source: String?
        public var destination: String?
        public var protocolName: String?
        public var operation: String?
        public var expires: String?
        /// `30d`: expires that long from now.
        public var lasting: String?
        public var reason: String
        public var owner: String
        public init(name: String, reason: String, owner: String) {
            self.name = name
            self.reason = reason
            self.owner = owner
        }
    }

    static func quoted(_ text: String) -> String {
        var out = "\""
        for character in text {
            switch character {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out + "\""
    }

    static func list(_ values: [String]) -> String { "[" + values.map(quoted).joined(separator: ", ") + "]" }

    static func now() -> Timestamp { Timestamp(Date().timeIntervalSince1970 * 1_000_000) }

    static func loadConfig(_ path: String) throws(CommandFailure) -> SpanwatchConfiguration {
        do { return try SpanwatchConfiguration.load(path: path) } catch { throw CommandFailure(error.description) }
    }

    /// Appends `block` under `section:` of the file (created with `version: 1` when missing),
    /// checks the result with `check`, and only then replaces the file.
    static func append(_ block: String, section: String, to path: String, check: (String) throws(ConfigurationError) -> Void) throws(CommandFailure) {
        var text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        if text.isEmpty { text = "version: 1\n" }
        if !text.hasSuffix("\n") { text += "\n" }
        if !text.split(separator: "\n").contains(where: { $0.hasPrefix("\(section):") }) { text += "\(section):\n" }
        text += block
        let trial = path + ".check-\(getpid())"
        do {
            try text.write(toFile: trial, atomically: true, encoding: .utf8)
            defer { unlink(trial) }
            try check(trial)
            try BaselineFile.writeAtomically(text, to: path)
        } catch let error as ConfigurationError {
            throw CommandFailure(error.description.replacingOccurrences(of: trial, with: path))
        } catch {
            throw CommandFailure("\(path): \(error)")
        }
    }

    /// Adds a window to the config's maintenance file; returns the file's path.
    public static func addWindow(_ entry: WindowEntry, configPath: String) throws(CommandFailure) -> String {
        let config = try loadConfig(configPath)
        guard let path = config.maintenanceFile else {
            throw CommandFailure("\(configPath): no maintenance file: set 'alerts.maintenance_file' or 'baseline.path' (it goes beside the baseline)")
        }
        let start = entry.start ?? MarkingSection.formatTimestamp(now())
        var block = "  - name: \(quoted(entry.name))\n"
        if !entry.hosts.isEmpty { block += "    hosts: \(list(entry.hosts))\n" }
        if !entry.zones.isEmpty { block += "    zones: \(list(entry.zones))\n" }
        if !entry.conduits.isEmpty { block += "    conduits: \(list(entry.conduits))\n" }
        block += "    start: \(quoted(start))\n"
        if let end = entry.end { block += "    end: \(quoted(end))\n" }
        if let duration = entry.duration { block += "    duration: \(quoted(duration))\n" }
        block += "    reason: \(quoted(entry.reason))\n    owner: \(quoted(entry.owner))\n"
        try append(block, section: "maintenance", to: path) { trial throws(ConfigurationError) in
            var trying = config
            trying.maintenanceFile = trial
            _ = try trying.loadMarking()
        }
        return path
    }

    /// Adds a mute to the config's mutes file; returns the file's path.
    public static func addMute(_ entry: MuteEntry, configPath: String) throws(CommandFailure) -> String {
        let config = try loadConfig(configPath)
        guard let path = config.mutesFile else {
            throw CommandFailure("\(configPath): no mutes file: set 'alerts.mutes_file' or 'baseline.path' (it goes beside the baseline)")
        }
        var block = "  - name: \(quoted(entry.name))\n"
        if let kind = entry.kind { block += "    kind: \(quoted(kind))\n" }
        if let source = entry.source { block += "    src: \(quoted(source))\n" }
        if let destination = entry.destination { block += "    dest: \(quoted(destination))\n" }
        if let protocolName = entry.protocolName { block += "    protocol: \(quoted(protocolName))\n" }
        if let operation = entry.operation { block += "    operation: \(quoted(operation))\n" }
        var expires = entry.expires
        if let lasting = entry.lasting {
            guard let seconds = ConfigReader.parseDuration(lasting), seconds > 0 else { throw CommandFailure("--for: not a duration: '\(lasting)' (30m, 12h, 7d)") }
            expires = MarkingSection.formatTimestamp(now() + seconds * 1_000_000)
        }
        if let expires { block += "    expires: \(quoted(expires))\n" }
        block += "    reason: \(quoted(entry.reason))\n    owner: \(quoted(entry.owner))\n"
        try append(block, section: "mutes", to: path) { trial throws(ConfigurationError) in
            _ = try MarkingSection.loadMutes(path: trial, names: config.markingNames)
        }
        return path
    }

    /// The windows in force by the config, with their state at `time` (now by default).
    public static func windowLines(configPath: String, at time: Timestamp? = nil) throws(CommandFailure) -> [String] {
        let config = try loadConfig(configPath)
        let at = time ?? now()
        var lines = ["STATE    NAME                      START                 END                   TARGETS  (REASON; OWNER)"]
        for window in config.marking.windows {
            let targets = (window.hosts.map(\.description) + window.zones.map { "zone \($0)" } + window.conduits.map { "conduit \($0)" }).joined(separator: ", ")
            lines.append(window.state(at: at).rawValue.padding(toLength: 8, withPad: " ", startingAt: 0) + " "
                         + window.name.padding(toLength: 25, withPad: " ", startingAt: 0) + " "
                         + MarkingSection.formatTimestamp(window.start) + "  " + MarkingSection.formatTimestamp(window.end) + "  "
                         + targets + "  (\(window.reason); \(window.owner))")
        }
        return lines
    }

    /// A mutes file as one line per rule: `name | kind | src | dest | protocol | operation | expires | reason | owner`.
    public static func muteLines(path: String, configPath: String?) throws(CommandFailure) -> [String] {
        let names = try configPath.map { path throws(CommandFailure) in try loadConfig(path).markingNames } ?? MarkingSection.Names(hosts: [], zones: ZonePolicy())
        let rules: [MuteRule]
        do { rules = try MarkingSection.loadMutes(path: path, names: names) } catch { throw CommandFailure(error.description) }
        return rules.map { rule in
            [rule.name, rule.kind?.rawValue ?? "*", rule.source?.description ?? "*", rule.destination?.description ?? "*", rule.protocolName ?? "*",
             rule.operation ?? "*", rule.expires.map(MarkingSection.formatTimestamp) ?? "never", rule.reason, rule.owner].joined(separator: " | ")
        }
    }

    /// What NEW mutes that OLD does not (+) and the reverse (-), rule by rule.
    public static func muteDiff(old: String, new: String, configPath: String?) throws(CommandFailure) -> [String] {
        let before = try muteLines(path: old, configPath: configPath), after = try muteLines(path: new, configPath: configPath)
        return before.filter { !after.contains($0) }.map { "- " + $0 } + after.filter { !before.contains($0) }.map { "+ " + $0 }
    }
}
