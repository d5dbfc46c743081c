import SpanwatchWire
import SpanwatchFlow
import SpanwatchProtocols
import SpanwatchPolicy
import Yams

extension SpanwatchConfiguration {
    /// `outputs:` EVE files and syslog receivers (one mapping or a list each), the stats interval.
    static func readOutputs(_ outputs: Node, reader: ConfigReader, into config: inout SpanwatchConfiguration) throws(ConfigurationError) {
        let map = try reader.mapping(outputs, path: "outputs")
        try reader.allowOnly(map, ["eve", "syslog", "stats_interval"], path: "outputs", node: outputs)
        if let node = map["stats_interval"] { config.statsInterval = try reader.duration(node, path: "outputs.stats_interval", allowZero: true) }
        if let node = map["syslog"] {
            config.syslogOutputs = try reader.oneOrMany(node, path: "outputs.syslog") { (item, path) throws(ConfigurationError) in
                try SyslogOutputConfiguration.parse(item, path: path, reader: reader)
            }
            var spools: [String: String] = [:]
            var addresses: [String: String] = [:]
            for (output, item) in zip(config.syslogOutputs, reader.items(node)) {
                if let other = spools.updateValue(output.key, forKey: output.spoolDirectory) {
                    throw ConfigurationError("\(reader.at(item)): '\(output.key).spool' is also the spool of '\(other)': each syslog output needs its own")
                }
                if let other = addresses.updateValue(output.key, forKey: output.name) {
                    throw ConfigurationError("\(reader.at(item)): '\(output.key).address' is also the address of '\(other)'")
                }
            }
        }
        if let node = map["eve"] {
            let outputs = try reader.oneOrMany(node, path: "outputs.eve") { (item, path) throws(ConfigurationError) in
                try EveOutputConfiguration.parse(item, path: path, reader: reader)
            }
            config.eveOutputs = outputs.compactMap { $0 }
            var paths: [String: String] = [:]
            for (output, item) in zip(outputs, reader.items(node)) {
                guard let output else { continue }
                if let other = paths.updateValue(output.key, forKey: output.path) {
                    throw ConfigurationError("\(reader.at(item)): '\(output.key).path' is also the path of '\(other)'")
                }
            }
        }
    }
}

/// One `outputs.eve` entry: where EVE lines go and which event types.
public struct EveOutputConfiguration: Sendable, Equatable {
    /// A file (appended to, reopened on SIGHUP), or `-` for stdout.
    public var path: String
    /// Event types written (nil: all).
    public var types: Set<String>? = nil
    /// The key path in the file, for messages (`outputs.eve` or `outputs.eve[1]`).
    public var key = "outputs.eve"

    public init(path: String, types: Set<String>? = nil) {
        self.path = path
        self.types = types
    }

    /// nil for `enabled: false`.
    static func parse(_ node: Node, path: String, reader: ConfigReader) throws(ConfigurationError) -> EveOutputConfiguration? {
        let map = try reader.mapping(node, path: path)
        try reader.allowOnly(map, ["enabled", "path", "types"], path: path, node: node)
        if let enabled = map["enabled"], try !reader.bool(enabled, path: "\(path).enabled") { return nil }
        var output = EveOutputConfiguration(path: "-")
        output.key = path
        if let node = map["path"] {
            output.path = try reader.string(node, path: "\(path).path")
            guard !output.path.isEmpty else { throw ConfigurationError("\(reader.at(node)): '\(path).path' is empty (a file, or - for stdout)") }
        }
        if let node = map["types"] { output.types = try reader.eventTypes(node, path: "\(path).types") }
        return output
    }
}
