import SpanwatchWire
import SpanwatchFlow
import SpanwatchProtocols
import SpanwatchPolicy
import Yams

/// A configuration problem: names the file, line and key, as `check-config` prints it.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The whole spanwatch configuration (config/spanwatch.yaml documents every key).
public struct SpanwatchConfiguration: Sendable {
    public var sensorName = "spanwatch"
    /// `sensor.state_directory`: where a live run reserves `seq`, so that a restart never
    /// reuses an `event_id` (without it: the first syslog output's spool, if any).
    public var stateDirectory: String? = nil
    public var interfaces: [String] = []
    public var snapLength = 9216 + 64
    public var bufferSize = 64 << 20
    public var promiscuous = true
    public var bpf: String? = nil
    /// `outputs.eve`: EVE files, `-` for stdout; one mapping or a list of them, each with its
    /// own `types`. The default is stdout with every type; `enabled: false` drops one.
    public var eveOutputs: [EveOutputConfiguration] = [EveOutputConfiguration(path: "-")]
    public var engine = EngineConfiguration()
    /// The plant's target architecture: zones and the conduits allowed between them.
    public var zonePolicy = ZonePolicy()
    /// `metrics.listen`: where `/metrics`, `/healthz` and `/readyz` are served while capturing live.
    public var metricsListen: (host: String, port: UInt16)? = nil
    /// `outputs.stats_interval`: seconds between `stats` events while capturing live (0: at exit only).
    public var statsInterval: Int64 = 60
    /// `outputs.syslog`: delivery to syslog receivers, each through its own disk spool (one
    /// mapping or a list).
    public var syslogOutputs: [SyslogOutputConfiguration] = []
    /// Named hosts, critical operations allowed per edge, alert aggregation and rate limit.
    public var policySettings = PolicySettings()
    /// `baseline.path`: the baseline file `run` monitors with (and learn mode writes).
    public var baselinePath: String? = nil
    /// `baseline.mode`: learn first (for `learnFor` of packet time), or monitor.
    public var learnMode = false
    /// `baseline.learn_for`: in learn mode, switch to monitoring after this much packet time.
    public var learnFor: Timestamp? = nil

    /// Every EVE event type (the registry's protocols' and the machinery's).
    public static let knownEventTypes: Set<String> = Set(ProtocolRegistry.standard.eventTypes.map(\.description))

    public init() {}

    /// The EVE types of the first configured EVE output (what `decode`, `--eve` and `-l` write
    /// when `--types` is not given).
    public var firstEveTypes: Set<String>? { eveOutputs.first?.types }

    /// Loads and validates a YAML file; every unknown key or bad value is an error naming its line.
    public static func load(path: String) throws(ConfigurationError) -> SpanwatchConfiguration {
        try parse(ConfigReader.readFile(path), file: path)
    }

    public static func parse(_ text: String, file: String) throws(ConfigurationError) -> SpanwatchConfiguration {
        let root = try ConfigReader.compose(text, file: file)
        var config = SpanwatchConfiguration()
        guard let root else { return config }
        let reader = ConfigReader(file: file)
        let top = try reader.mapping(root, path: "")
        try reader.allowOnly(top, ["version", "sensor", "capture", "outputs", "limits", "timeouts", "community_id", "zones", "conduits",
                                         "hosts", "allowed_operations", "alerts", "baseline", "metrics"],
                             path: "", node: root)
        guard let version = top["version"] else {
            throw ConfigurationError("\(file):\(root.mark.map { String($0.line) } ?? "1"): missing key 'version'")
        }
        guard try reader.integer(version, path: "version") == 1 else {
            throw ConfigurationError("\(reader.at(version)): 'version' must be 1")
        }
        if let sensor = top["sensor"] {
            let map = try reader.mapping(sensor, path: "sensor")
            try reader.allowOnly(map, ["name", "state_directory"], path: "sensor", node: sensor)
            if let name = map["name"] { config.sensorName = try reader.string(name, path: "sensor.name") }
            if let node = map["state_directory"] {
                config.stateDirectory = try reader.string(node, path: "sensor.state_directory")
                guard config.stateDirectory?.isEmpty == false else { throw ConfigurationError("\(reader.at(node)): 'sensor.state_directory' is empty") }
            }
            if config.sensorName.isEmpty || config.sensorName.contains(where: { $0 == ":" || $0.isWhitespace }) {
                throw ConfigurationError("\(reader.at(sensor)): 'sensor.name' must be non-empty, without spaces or ':'")
            }
        }
        if let capture = top["capture"] {
            let map = try reader.mapping(capture, path: "capture")
            try reader.allowOnly(map, ["interfaces", "snaplen", "buffer_size", "promiscuous", "bpf"], path: "capture", node: capture)
            if let node = map["interfaces"] { config.interfaces = try reader.stringList(node, path: "capture.interfaces") }
            if let node = map["snaplen"] {
                config.snapLength = try reader.integer(node, path: "capture.snaplen")
                guard (64...262_144).contains(config.snapLength) else {
                    throw ConfigurationError("\(reader.at(node)): 'capture.snaplen' must be between 64 and 262144")
                }
            }
            if let node = map["buffer_size"] { config.bufferSize = try reader.size(node, path: "capture.buffer_size") }
            if let node = map["promiscuous"] { config.promiscuous = try reader.bool(node, path: "capture.promiscuous") }
            if let node = map["bpf"] {
                let expression = try reader.string(node, path: "capture.bpf")
                config.bpf = expression.isEmpty ? nil : expression
            }
        }
        if let outputs = top["outputs"] {
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
        if let limits = top["limits"] {
            let map = try reader.mapping(limits, path: "limits")
            let protocolLimits = ProtocolRegistry.standard.limits
            try reader.allowOnly(map, Set(["flows", "flow_memcap", "reassembly", "dns_cache_entries", "anomaly_rate", "anomaly_sampling"]
                                          + protocolLimits.map(\.key)),
                                 path: "limits", node: limits)
            if let node = map["flows"] { config.engine.flowTable.maximumFlows = try reader.positive(node, path: "limits.flows") }
            if let node = map["flow_memcap"] { config.engine.flowTable.memcap = try reader.size(node, path: "limits.flow_memcap") }
            // Each protocol's own caps (its descriptor declares them).
            for limit in protocolLimits {
                guard let node = map[limit.key] else { continue }
                switch limit.unit {
                case .count: config.engine.sessions[limit] = try reader.positive(node, path: "limits.\(limit.key)")
                case .bytes: config.engine.sessions[limit] = try reader.size(node, path: "limits.\(limit.key)")
                }
            }
            if let node = map["dns_cache_entries"] {
                config.engine.dnsCache.capacity = try reader.integer(node, path: "limits.dns_cache_entries")
            }
            if let node = map["anomaly_rate"] { config.engine.anomalyRateLimit = try reader.integer(node, path: "limits.anomaly_rate") }
            if let sampling = map["anomaly_sampling"] {
                let m = try reader.mapping(sampling, path: "limits.anomaly_sampling")
                try reader.allowOnly(m, ["threshold", "rate"], path: "limits.anomaly_sampling", node: sampling)
                if let node = m["threshold"] {
                    config.engine.anomalySampling.threshold = UInt64(try reader.positive(node, path: "limits.anomaly_sampling.threshold"))
                }
                if let node = m["rate"] { config.engine.anomalySampling.rate = UInt64(try reader.positive(node, path: "limits.anomaly_sampling.rate")) }
            }
            if let reassembly = map["reassembly"] {
                let r = try reader.mapping(reassembly, path: "limits.reassembly")
                try reader.allowOnly(r, ["pending_segments", "pending_bytes", "retained_bytes"], path: "limits.reassembly", node: reassembly)
                if let node = r["pending_segments"] { config.engine.reassembly.maximumPendingSegments = try reader.positive(node, path: "limits.reassembly.pending_segments") }
                if let node = r["pending_bytes"] { config.engine.reassembly.maximumPendingBytes = try reader.size(node, path: "limits.reassembly.pending_bytes") }
                if let node = r["retained_bytes"] { config.engine.reassembly.retainedBytes = try reader.size(node, path: "limits.reassembly.retained_bytes") }
            }
        }
        if let timeouts = top["timeouts"] {
            let map = try reader.mapping(timeouts, path: "timeouts")
            try reader.allowOnly(map, ["new", "tcp_established", "udp_established", "closed", "interim"], path: "timeouts", node: timeouts)
            if let node = map["new"] { config.engine.flowTable.newTimeout = try reader.duration(node, path: "timeouts.new") }
            if let node = map["tcp_established"] { config.engine.flowTable.tcpEstablishedTimeout = try reader.duration(node, path: "timeouts.tcp_established") }
            if let node = map["udp_established"] { config.engine.flowTable.udpEstablishedTimeout = try reader.duration(node, path: "timeouts.udp_established") }
            if let node = map["closed"] { config.engine.flowTable.closedTimeout = try reader.duration(node, path: "timeouts.closed") }
            if let node = map["interim"] { config.engine.flowTable.interimInterval = try reader.duration(node, path: "timeouts.interim", allowZero: true) }
        }
        if let community = top["community_id"] {
            let map = try reader.mapping(community, path: "community_id")
            try reader.allowOnly(map, ["seed"], path: "community_id", node: community)
            if let node = map["seed"] {
                let seed = try reader.integer(node, path: "community_id.seed")
                guard (0...65535).contains(seed) else { throw ConfigurationError("\(reader.at(node)): 'community_id.seed' must be 0-65535") }
                config.engine.communityIDSeed = UInt16(seed)
            }
        }
        config.zonePolicy = try parseZonePolicy(top, reader: reader)
        try parsePolicySettings(top, reader: reader, into: &config)
        if let metrics = top["metrics"] {
            let map = try reader.mapping(metrics, path: "metrics")
            try reader.allowOnly(map, ["listen"], path: "metrics", node: metrics)
            if let node = map["listen"] {
                let text = try reader.string(node, path: "metrics.listen")
                guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]),
                      IPAddress(String(text[..<colon])).map({ !$0.isIPv6 }) == true else {
                    throw ConfigurationError("\(reader.at(node)): 'metrics.listen' must be IPv4:PORT (127.0.0.1:9911), not '\(text)'")
                }
                config.metricsListen = (String(text[..<colon]), port)
            }
        }
        return config
    }

    /// `hosts:`, `allowed_operations:`, `alerts:` and `baseline:`.
    static func parsePolicySettings(_ top: [String: Node], reader: ConfigReader, into config: inout SpanwatchConfiguration) throws(ConfigurationError) {
        var settings = PolicySettings()
        if let hostsNode = top["hosts"] {
            guard case .sequence(let items) = hostsNode else { throw ConfigurationError("\(reader.at(hostsNode)): 'hosts' must be a list") }
            for (index, item) in items.enumerated() {
                let path = "hosts[\(index)]"
                let map = try reader.mapping(item, path: path)
                try reader.allowOnly(map, ["address", "name", "roles"], path: path, node: item)
                guard let addressNode = map["address"], let nameNode = map["name"] else {
                    throw ConfigurationError("\(reader.at(item)): '\(path)' needs 'address' and 'name'")
                }
                let text = try reader.string(addressNode, path: "\(path).address")
                guard let block = CIDR(text) else {
                    throw ConfigurationError("\(reader.at(addressNode)): '\(path).address' is not an address or address block: '\(text)'")
                }
                let name = try reader.string(nameNode, path: "\(path).name")
                guard !name.isEmpty, !name.contains(" ") else { throw ConfigurationError("\(reader.at(nameNode)): '\(path).name' must be a word") }
                let roles = try map["roles"].map { node throws(ConfigurationError) in try reader.stringList(node, path: "\(path).roles") } ?? []
                settings.hosts.append(NamedHost(block: block, name: name, roles: roles))
            }
        }
        if let allowedNode = top["allowed_operations"] {
            guard case .sequence(let items) = allowedNode else {
                throw ConfigurationError("\(reader.at(allowedNode)): 'allowed_operations' must be a list")
            }
            for (index, item) in items.enumerated() {
                let path = "allowed_operations[\(index)]"
                let map = try reader.mapping(item, path: path)
                try reader.allowOnly(map, ["from", "to", "operations"], path: path, node: item)
                var ends: [[CIDR]] = []
                for key in ["from", "to"] {
                    guard let node = map[key] else { throw ConfigurationError("\(reader.at(item)): '\(path).\(key)' is missing") }
                    var blocks: [CIDR] = []
                    for text in try reader.stringList(node, path: "\(path).\(key)") {
                        if let host = settings.hosts.first(where: { $0.name == text }) {
                            blocks.append(host.block)
                        } else if let zone = config.zonePolicy.zones.first(where: { $0.name == text }) {
                            blocks += zone.cidrs
                        } else if let block = CIDR(text) {
                            blocks.append(block)
                        } else {
                            throw ConfigurationError("\(reader.at(node)): '\(path).\(key)' names '\(text)', which is no host name, zone or address block")
                        }
                    }
                    ends.append(blocks)
                }
                guard let operationsNode = map["operations"] else { throw ConfigurationError("\(reader.at(item)): '\(path).operations' is missing") }
                let operations = try reader.stringList(operationsNode, path: "\(path).operations")
                for operation in operations where !OperationAllowance.operationNames.contains(operation) {
                    throw ConfigurationError("\(reader.at(operationsNode)): '\(path).operations' has an unknown operation '\(operation)' "
                                             + "(known: \(OperationAllowance.operationNames.sorted().joined(separator: ", ")))")
                }
                settings.allowedOperations.append(OperationAllowance(from: ends[0], to: ends[1], operations: Set(operations)))
            }
        }
        if let alertsNode = top["alerts"] {
            let map = try reader.mapping(alertsNode, path: "alerts")
            try reader.allowOnly(map, ["aggregate_interval", "rate_limit"], path: "alerts", node: alertsNode)
            if let node = map["aggregate_interval"] {
                settings.alerts.aggregateInterval = try reader.duration(node, path: "alerts.aggregate_interval", allowZero: true) * 1_000_000
            }
            if let node = map["rate_limit"] { settings.alerts.ratePerMinute = try reader.positive(node, path: "alerts.rate_limit") }
        }
        if let baselineNode = top["baseline"] {
            let map = try reader.mapping(baselineNode, path: "baseline")
            try reader.allowOnly(map, ["path", "mode", "learn_for"], path: "baseline", node: baselineNode)
            if let node = map["path"] { config.baselinePath = try reader.string(node, path: "baseline.path") }
            if let node = map["mode"] {
                switch try reader.string(node, path: "baseline.mode") {
                case "learn": config.learnMode = true
                case "monitor": config.learnMode = false
                case let other: throw ConfigurationError("\(reader.at(node)): 'baseline.mode' must be learn or monitor, not '\(other)'")
                }
            }
            if let node = map["learn_for"] { config.learnFor = try reader.duration(node, path: "baseline.learn_for") * 1_000_000 }
            if config.learnMode && config.baselinePath == nil {
                throw ConfigurationError("\(reader.at(baselineNode)): 'baseline.mode: learn' needs 'baseline.path' (where the learned baseline is written)")
            }
        }
        config.policySettings = settings
    }

    /// `zones:` (name, cidrs, internet, local_domains) and `conduits:` (from, to, services).
    static func parseZonePolicy(_ top: [String: Node], reader: ConfigReader) throws(ConfigurationError) -> ZonePolicy {
        var policy = ZonePolicy()
        if let zonesNode = top["zones"] {
            guard case .sequence(let items) = zonesNode else { throw ConfigurationError("\(reader.at(zonesNode)): 'zones' must be a list") }
            for (index, item) in items.enumerated() {
                let path = "zones[\(index)]"
                let map = try reader.mapping(item, path: path)
                try reader.allowOnly(map, ["name", "cidrs", "internet", "local_domains"], path: path, node: item)
                guard let nameNode = map["name"] else { throw ConfigurationError("\(reader.at(item)): '\(path).name' is missing") }
                let name = try reader.string(nameNode, path: "\(path).name")
                guard !name.isEmpty, name != ZonePolicy.external else {
                    throw ConfigurationError("\(reader.at(nameNode)): '\(path).name' must be a name other than '\(ZonePolicy.external)'")
                }
                guard !policy.zones.contains(where: { $0.name == name }) else {
                    throw ConfigurationError("\(reader.at(nameNode)): zone '\(name)' is defined twice")
                }
                guard let cidrsNode = map["cidrs"] else { throw ConfigurationError("\(reader.at(item)): '\(path).cidrs' is missing") }
                var cidrs: [CIDR] = []
                for text in try reader.stringList(cidrsNode, path: "\(path).cidrs") {
                    guard let cidr = CIDR(text) else {
                        throw ConfigurationError("\(reader.at(cidrsNode)): '\(path).cidrs' has an invalid address block '\(text)'")
                    }
                    cidrs.append(cidr)
                }
                let internet = try map["internet"].map { node throws(ConfigurationError) in try reader.bool(node, path: "\(path).internet") } ?? false
                let domains = try map["local_domains"].map { node throws(ConfigurationError) in
                    try reader.stringList(node, path: "\(path).local_domains")
                } ?? []
                policy.zones.append(Zone(name: name, cidrs: cidrs, internetAllowed: internet, localDomains: domains))
            }
        }
        if let conduitsNode = top["conduits"] {
            guard case .sequence(let items) = conduitsNode else { throw ConfigurationError("\(reader.at(conduitsNode)): 'conduits' must be a list") }
            let known = Set(policy.zones.map(\.name)).union([ZonePolicy.external])
            for (index, item) in items.enumerated() {
                let path = "conduits[\(index)]"
                let map = try reader.mapping(item, path: path)
                try reader.allowOnly(map, ["from", "to", "services"], path: path, node: item)
                var ends: [String] = []
                for key in ["from", "to"] {
                    guard let node = map[key] else { throw ConfigurationError("\(reader.at(item)): '\(path).\(key)' is missing") }
                    let zone = try reader.string(node, path: "\(path).\(key)")
                    guard known.contains(zone) else {
                        throw ConfigurationError("\(reader.at(node)): '\(path).\(key)' names unknown zone '\(zone)' (known: \(known.sorted().joined(separator: ", ")))")
                    }
                    ends.append(zone)
                }
                guard let servicesNode = map["services"] else { throw ConfigurationError("\(reader.at(item)): '\(path).services' is missing") }
                var services: [Service] = []
                for text in try reader.stringList(servicesNode, path: "\(path).services") {
                    guard let service = Service(text) else {
                        throw ConfigurationError("\(reader.at(servicesNode)): '\(path).services' has an unknown service '\(text)' "
                                                 + "(an application protocol, tcp/PORT, udp/PORT, tcp, udp, icmp or any)")
                    }
                    services.append(service)
                }
                policy.conduits.append(Conduit(from: ends[0], to: ends[1], services: services))
            }
        }
        return policy
    }
}

/// Typed access to YAML nodes with file:line errors.
struct ConfigReader {
    let file: String

    /// A whole (small) file, or an error naming it.
    static func readFile(_ path: String) throws(ConfigurationError) -> String {
        do {
            return try readTextFile(path)
        } catch {
            throw ConfigurationError("\(path): \(error)")
        }
    }

    /// The document's root node; scalars stay text (the basic resolver), so the reader types them
    /// itself and names the line when one is wrong.
    static func compose(_ text: String, file: String) throws(ConfigurationError) -> Node? {
        do {
            return try Yams.compose(yaml: text, .basic)
        } catch {
            throw ConfigurationError("\(file): not valid YAML: \(String(describing: error).split(separator: "\n").first ?? "")")
        }
    }

    func at(_ node: Node) -> String {
        if let mark = node.mark { return "\(file):\(mark.line)" }
        return file
    }

    func mapping(_ node: Node, path: String) throws(ConfigurationError) -> [String: Node] {
        guard case .mapping(let mapping) = node else {
            throw ConfigurationError("\(at(node)): '\(path.isEmpty ? "top level" : path)' must be a mapping")
        }
        var result = [String: Node]()
        for (key, value) in mapping {
            guard let name = key.string else { throw ConfigurationError("\(at(key)): keys must be strings") }
            if result[name] != nil { throw ConfigurationError("\(at(key)): duplicate key '\(name)'") }
            result[name] = value
        }
        return result
    }

    func allowOnly(_ map: [String: Node], _ allowed: Set<String>, path: String, node: Node) throws(ConfigurationError) {
        guard case .mapping(let mapping) = node else { return }
        for (key, _) in mapping {
            guard let name = key.string else { continue }
            if !allowed.contains(name) {
                let qualified = path.isEmpty ? name : "\(path).\(name)"
                throw ConfigurationError("\(at(key)): unknown key '\(qualified)' (allowed: \(allowed.sorted().joined(separator: ", ")))")
            }
        }
    }

    func string(_ node: Node, path: String) throws(ConfigurationError) -> String {
        guard case .scalar(let scalar) = node else { throw ConfigurationError("\(at(node)): '\(path)' must be a string") }
        return scalar.string
    }

    func integer(_ node: Node, path: String) throws(ConfigurationError) -> Int {
        guard case .scalar(let scalar) = node, let value = Int(scalar.string) else {
            throw ConfigurationError("\(at(node)): '\(path)' must be an integer")
        }
        return value
    }

    func positive(_ node: Node, path: String) throws(ConfigurationError) -> Int {
        let value = try integer(node, path: path)
        guard value > 0 else { throw ConfigurationError("\(at(node)): '\(path)' must be positive") }
        return value
    }

    func bool(_ node: Node, path: String) throws(ConfigurationError) -> Bool {
        guard case .scalar(let scalar) = node else { throw ConfigurationError("\(at(node)): '\(path)' must be true or false") }
        switch scalar.string.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw ConfigurationError("\(at(node)): '\(path)' must be true or false, not '\(scalar.string)'")
        }
    }

    /// A section that is one mapping or a list of them: each item parsed with its own key path
    /// (`outputs.syslog`, or `outputs.syslog[1]` in a list).
    func oneOrMany<T>(_ node: Node, path: String, _ parse: (Node, String) throws(ConfigurationError) -> T) throws(ConfigurationError) -> [T] {
        guard case .sequence(let sequence) = node else { return [try parse(node, path)] }
        guard !sequence.isEmpty else { throw ConfigurationError("\(at(node)): '\(path)' is an empty list") }
        var out: [T] = []
        for (index, item) in sequence.enumerated() { out.append(try parse(item, "\(path)[\(index)]")) }
        return out
    }

    /// The items of a one-or-many section, for messages that name an item's line.
    func items(_ node: Node) -> [Node] {
        if case .sequence(let sequence) = node { return Array(sequence) }
        return [node]
    }

    /// A `types:` list of event types, each checked.
    func eventTypes(_ node: Node, path: String) throws(ConfigurationError) -> Set<String> {
        let types = try stringList(node, path: path)
        for type in types where !SpanwatchConfiguration.knownEventTypes.contains(type) {
            throw ConfigurationError("\(at(node)): unknown event type '\(type)' in '\(path)' (known: \(SpanwatchConfiguration.knownEventTypes.sorted().joined(separator: ", ")))")
        }
        return Set(types)
    }

    func stringList(_ node: Node, path: String) throws(ConfigurationError) -> [String] {
        guard case .sequence(let sequence) = node else { throw ConfigurationError("\(at(node)): '\(path)' must be a list") }
        var out = [String]()
        for item in sequence { out.append(try string(item, path: path)) }
        return out
    }

    /// Sizes: a number of bytes, or with KiB/MiB/GiB (also K/M/G, KB/MB/GB as powers of 1024).
    func size(_ node: Node, path: String) throws(ConfigurationError) -> Int {
        let text = try string(node, path: path).trimmedOfSpaces()
        guard let value = ConfigReader.parseSize(text) else {
            throw ConfigurationError("\(at(node)): '\(path)' is not a size: '\(text)' (examples: 65536, 64KiB, 256MiB, 1GiB)")
        }
        return value
    }

    static func parseSize(_ text: String) -> Int? {
        let units: [(String, Int)] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10), ("GB", 1 << 30), ("MB", 1 << 20),
                                      ("KB", 1 << 10), ("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10), ("B", 1)]
        for (suffix, multiplier) in units where text.hasSuffix(suffix) {
            guard let number = Int(String(text.dropLast(suffix.count)).trimmedOfSpaces()), number >= 0 else { return nil }
            return number * multiplier
        }
        guard let number = Int(text), number >= 0 else { return nil }
        return number
    }

    /// Durations in seconds: a number, or with s/m/h/d.
    func duration(_ node: Node, path: String, allowZero: Bool = false) throws(ConfigurationError) -> Int64 {
        let text = try string(node, path: path).trimmedOfSpaces()
        guard let value = ConfigReader.parseDuration(text), value > 0 || (allowZero && value == 0) else {
            throw ConfigurationError("\(at(node)): '\(path)' is not a duration: '\(text)' (examples: 30s, 5m, 1h, 7d)")
        }
        return value
    }

    static func parseDuration(_ text: String) -> Int64? {
        let units: [(String, Int64)] = [("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
        for (suffix, multiplier) in units where text.hasSuffix(suffix) {
            guard let number = Int64(text.dropLast(suffix.count)), number >= 0 else { return nil }
            return number * multiplier
        }
        guard let number = Int64(text), number >= 0 else { return nil }
        return number
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
