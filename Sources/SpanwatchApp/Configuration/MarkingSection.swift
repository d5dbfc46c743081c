import Foundation
import SpanwatchFlow
import SpanwatchPolicy
import SpanwatchProtocols
import SpanwatchWire
import Yams

/// Maintenance windows (`maintenance:` in the config, and the maintenance file that
/// `spanwatch maintenance add` writes) and mutes (the mutes file beside the baseline).
///
///     maintenance:
///       - name: integrator-download
///         hosts: [eng-ws-1]               # config host names, addresses or blocks
///         zones: [control]
///         conduits: ["supervisory -> control"]
///         start: 2026-12-04T18:00:00Z     # RFC 3339
///         duration: 2h                    # or end: 2026-12-04T20:00:00Z
///         reason: program download, change CHG-1234
///         owner: j.smith
///
///     mutes:
///       - name: hmi-facebook-lookups
///         kind: external_dns              # every field given must match
///         src: hmi-1
///         dest: 10.0.0.53
///         protocol: dns
///         operation: www.facebook.com
///         reason: ticket INC-77, the HMI vendor's updater
///         owner: soc-team
///         expires: 2027-01-31T00:00:00Z  # or for: 30d (from when it is added)
enum MarkingSection {
    /// The names windows and mutes may use: hosts, zones and conduits of the config.
    struct Names {
        var hosts: [NamedHost]
        var zones: ZonePolicy
    }

    static func timestamp(_ node: Node, path: String, reader: ConfigReader) throws(ConfigurationError) -> Timestamp {
        let text = try reader.string(node, path: path).trimmedOfSpaces()
        guard let time = parseTimestamp(text) else {
            throw ConfigurationError("\(reader.at(node)): '\(path)' is not a time: '\(text)' (RFC 3339, like 2026-12-04T18:00:00Z)")
        }
        return time
    }

    /// RFC 3339 (`2026-12-04T18:00:00Z`, `...+01:00`, with or without fractions) in microseconds.
    static func parseTimestamp(_ text: String) -> Timestamp? {
        let plain = ISO8601DateFormatter()
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        guard let date = plain.date(from: text) ?? fractional.date(from: text) else { return nil }
        return Timestamp((date.timeIntervalSince1970 * 1_000_000).rounded())
    }

    static func formatTimestamp(_ time: Timestamp) -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: Date(timeIntervalSince1970: Double(time) / 1_000_000))
    }

    /// A host by config name, address or block.
    static func host(_ text: String, names: Names) -> CIDR? {
        if let named = names.hosts.first(where: { $0.name == text }) { return named.block }
        return CIDR(text)
    }

    static func windows(_ node: Node, path: String, reader: ConfigReader, names: Names) throws(ConfigurationError) -> [MaintenanceWindow] {
        guard case .sequence(let items) = node else { throw ConfigurationError("\(reader.at(node)): '\(path)' must be a list") }
        var windows: [MaintenanceWindow] = []
        for (index, item) in items.enumerated() {
            let at = "\(path)[\(index)]"
            let map = try reader.mapping(item, path: at)
            try reader.allowOnly(map, ["name", "hosts", "zones", "conduits", "start", "end", "duration", "reason", "owner"], path: at, node: item)
            func required(_ key: String) throws(ConfigurationError) -> Node {
                guard let node = map[key] else { throw ConfigurationError("\(reader.at(item)): '\(at).\(key)' is missing") }
                return node
            }
            let name = try reader.string(try required("name"), path: "\(at).name").trimmedOfSpaces()
            guard !name.isEmpty, !name.contains(" ") else { throw ConfigurationError("\(reader.at(map["name"]!)): '\(at).name' must be a word") }
            var hosts: [CIDR] = []
            if let node = map["hosts"] {
                for text in try reader.stringList(node, path: "\(at).hosts") {
                    guard let block = host(text, names: names) else {
                        throw ConfigurationError("\(reader.at(node)): '\(at).hosts' names '\(text)', which is no host name (hosts:), address or address block")
                    }
                    hosts.append(block)
                }
            }
            var zones: [String] = []
            if let node = map["zones"] {
                for zone in try reader.stringList(node, path: "\(at).zones") {
                    guard names.zones.zones.contains(where: { $0.name == zone }) else {
                        throw ConfigurationError("\(reader.at(node)): '\(at).zones' names '\(zone)', which is no zone (zones: \(names.zones.zones.map(\.name).joined(separator: ", ")))")
                    }
                    zones.append(zone)
                }
            }
            var conduits: [ZonePair] = []
            if let node = map["conduits"] {
                for text in try reader.stringList(node, path: "\(at).conduits") {
                    guard let pair = ZonePair.parse(text) else {
                        throw ConfigurationError("\(reader.at(node)): '\(at).conduits' has '\(text)', not 'FROM-ZONE -> TO-ZONE'")
                    }
                    guard names.zones.conduits.contains(where: { $0.from == pair.from && $0.to == pair.to }) else {
                        throw ConfigurationError("\(reader.at(node)): '\(at).conduits' names '\(text)', which is no conduit (conduits:)")
                    }
                    conduits.append(pair)
                }
            }
            guard !hosts.isEmpty || !zones.isEmpty || !conduits.isEmpty else {
                throw ConfigurationError("\(reader.at(item)): '\(at)' covers nothing: give 'hosts', 'zones' or 'conduits'")
            }
            let start = try timestamp(try required("start"), path: "\(at).start", reader: reader)
            let end: Timestamp
            switch (map["end"], map["duration"]) {
            case (let node?, nil): end = try timestamp(node, path: "\(at).end", reader: reader)
            case (nil, let node?): end = start + (try reader.duration(node, path: "\(at).duration")) * 1_000_000
            default: throw ConfigurationError("\(reader.at(item)): '\(at)' needs one of 'end' or 'duration'")
            }
            guard end > start else { throw ConfigurationError("\(reader.at(map["end"] ?? item)): '\(at).end' is not after its start") }
            let reason = try reader.string(try required("reason"), path: "\(at).reason")
            let owner = try reader.string(try required("owner"), path: "\(at).owner")
            let window = MaintenanceWindow(name: name, hosts: hosts, zones: zones, conduits: conduits, start: start, end: end, reason: reason, owner: owner)
            if windows.contains(where: { $0.name == name }) { throw ConfigurationError("\(reader.at(item)): '\(at).name' '\(name)' is used twice") }
            windows.append(window)
        }
        return windows
    }

    /// Windows from several places must not share a name or overlap over a common target.
    static func checkTogether(_ windows: [MaintenanceWindow]) throws(ConfigurationError) {
        for (index, window) in windows.enumerated() {
            for other in windows[..<index] {
                if other.name == window.name { throw ConfigurationError("maintenance window '\(window.name)' is declared twice") }
                if other.overlaps(window) {
                    throw ConfigurationError("maintenance windows '\(other.name)' and '\(window.name)' overlap in time over a common host, zone or conduit")
                }
            }
        }
    }

    /// A maintenance file: `version: 1` and `maintenance:`.
    static func loadWindows(path: String, names: Names) throws(ConfigurationError) -> [MaintenanceWindow] {
        guard let root = try ConfigReader.compose(try ConfigReader.readFile(path), file: path) else { return [] }
        let reader = ConfigReader(file: path)
        let top = try reader.mapping(root, path: "")
        try reader.allowOnly(top, ["version", "maintenance"], path: "", node: root)
        guard let node = top["maintenance"] else { return [] }
        return try windows(node, path: "maintenance", reader: reader, names: names)
    }

    static func mutes(_ node: Node, path: String, reader: ConfigReader, names: Names) throws(ConfigurationError) -> [MuteRule] {
        guard case .sequence(let items) = node else { throw ConfigurationError("\(reader.at(node)): '\(path)' must be a list") }
        var rules: [MuteRule] = []
        for (index, item) in items.enumerated() {
            let at = "\(path)[\(index)]"
            let map = try reader.mapping(item, path: at)
            try reader.allowOnly(map, ["name", "kind", "src", "dest", "protocol", "operation", "reason", "owner", "expires"], path: at, node: item)
            func required(_ key: String) throws(ConfigurationError) -> String {
                guard let node = map[key] else { throw ConfigurationError("\(reader.at(item)): '\(at).\(key)' is missing") }
                return try reader.string(node, path: "\(at).\(key)")
            }
            let name = try required("name").trimmedOfSpaces()
            guard !name.isEmpty, !name.contains(" ") else { throw ConfigurationError("\(reader.at(item)): '\(at).name' must be a word") }
            if rules.contains(where: { $0.name == name }) { throw ConfigurationError("\(reader.at(item)): '\(at).name' '\(name)' is used twice") }
            var rule = MuteRule(name: name, reason: try required("reason"), owner: try required("owner"))
            if let node = map["kind"] {
                let text = try reader.string(node, path: "\(at).kind")
                guard let kind = AlertEvent.Kind(rawValue: text) else {
                    throw ConfigurationError("\(reader.at(node)): '\(at).kind' is no alert kind: '\(text)' (kinds: \(AlertEvent.Kind.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                rule.kind = kind
            }
            for (key, assign) in [("src", { (rule: inout MuteRule, block: CIDR) in rule.source = block }),
                                  ("dest", { (rule: inout MuteRule, block: CIDR) in rule.destination = block })] {
                guard let node = map[key] else { continue }
                let text = try reader.string(node, path: "\(at).\(key)")
                guard let block = host(text, names: names) else {
                    throw ConfigurationError("\(reader.at(node)): '\(at).\(key)' names '\(text)', which is no host name (hosts:), address or address block")
                }
                assign(&rule, block)
            }
            if let node = map["protocol"] {
                let text = try reader.string(node, path: "\(at).protocol")
                guard ProtocolRegistryNames.all.contains(text) else {
                    throw ConfigurationError("\(reader.at(node)): '\(at).protocol' is no protocol: '\(text)' (\(ProtocolRegistryNames.all.joined(separator: ", ")))")
                }
                rule.protocolName = text
            }
            if let node = map["operation"] { rule.operation = try reader.string(node, path: "\(at).operation") }
            if let node = map["expires"] { rule.expires = try timestamp(node, path: "\(at).expires", reader: reader) }
            guard rule.kind != nil || rule.source != nil || rule.destination != nil || rule.protocolName != nil || rule.operation != nil else {
                throw ConfigurationError("\(reader.at(item)): '\(at)' would mute every alert: give a kind, hosts, a protocol or an operation")
            }
            rules.append(rule)
        }
        return rules
    }

    /// A mutes file: `version: 1` and `mutes:`; a file that is not there mutes nothing.
    static func loadMutes(path: String, names: Names) throws(ConfigurationError) -> [MuteRule] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        guard let root = try ConfigReader.compose(try ConfigReader.readFile(path), file: path) else { return [] }
        let reader = ConfigReader(file: path)
        let top = try reader.mapping(root, path: "")
        try reader.allowOnly(top, ["version", "mutes"], path: "", node: root)
        guard let node = top["mutes"] else { return [] }
        return try mutes(node, path: "mutes", reader: reader, names: names)
    }
}

extension SpanwatchConfiguration {
    /// `maintenance:`, and `alerts.maintenance_file` / `alerts.mutes_file` (by default
    /// maintenance.yaml and mutes.yaml beside the baseline): read and checked together.
    static func parseMarking(_ top: [String: Node], reader: ConfigReader, into config: inout SpanwatchConfiguration) throws(ConfigurationError) {
        if let node = top["maintenance"] {
            config.configuredWindows = try MarkingSection.windows(node, path: "maintenance", reader: reader, names: config.markingNames)
        }
        if let baseline = config.baselinePath {
            let directory = (baseline as NSString).deletingLastPathComponent
            func beside(_ name: String) -> String { directory.isEmpty ? name : directory + "/" + name }
            if config.maintenanceFile == nil { config.maintenanceFile = beside("maintenance.yaml") }
            if config.mutesFile == nil { config.mutesFile = beside("mutes.yaml") }
            if config.proposalPath == nil { config.proposalPath = beside("baseline-proposal.yaml") }
        }
        config.marking = try config.loadMarking()
    }

    var markingNames: MarkingSection.Names { MarkingSection.Names(hosts: policySettings.hosts, zones: zonePolicy) }

    /// The windows and mutes in force: the config's windows, the maintenance file's, the mutes
    /// file's (files that are not there add nothing). SIGUSR2 reads the files again.
    public func loadMarking() throws(ConfigurationError) -> AlertMarking {
        var windows = configuredWindows
        if let path = maintenanceFile, FileManager.default.fileExists(atPath: path) {
            windows += try MarkingSection.loadWindows(path: path, names: markingNames)
        }
        try MarkingSection.checkTogether(windows)
        let mutes = try mutesFile.map { path throws(ConfigurationError) in try MarkingSection.loadMutes(path: path, names: markingNames) } ?? []
        return AlertMarking(windows: windows, mutes: mutes)
    }
}

/// The registry's protocol names (mutes name one).
enum ProtocolRegistryNames {
    static var all: [String] { ProtocolRegistry.standard.names }
}
