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
    /// Maintenance windows declared in the config (`maintenance:`).
    public var configuredWindows: [MaintenanceWindow] = []
    /// Where `spanwatch maintenance add` writes windows, and the mutes file (`alerts.*_file`;
    /// by default beside the baseline).
    public var maintenanceFile: String? = nil
    /// Where new devices' learning windows write their baseline proposal (`baseline.proposal`;
    /// by default baseline-proposal.yaml beside the baseline).
    public var proposalPath: String? = nil
    public var mutesFile: String? = nil
    /// Windows and mutes in force when the config was read.
    public var marking = AlertMarking()

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
                                         "hosts", "allowed_operations", "alerts", "baseline", "metrics", "maintenance"],
                             path: "", node: root)
        guard let version = top["version"] else {
            throw ConfigurationError("\(file):\(root.mark.map { String($0.line) } ?? "1"): missing key 'version'")
        }
        guard try reader.integer(version, path: "version") == 1 else {
            throw ConfigurationError("\(reader.at(version)): 'version' must be 1")
        }
        if let sensor = top["sensor"] { try readSensor(sensor, reader: reader, into: &config) }
        if let capture = top["capture"] { try readCapture(capture, reader: reader, into: &config) }
        if let outputs = top["outputs"] { try readOutputs(outputs, reader: reader, into: &config) }
        if let limits = top["limits"] { try readLimits(limits, reader: reader, into: &config) }
        if let timeouts = top["timeouts"] { try readTimeouts(timeouts, reader: reader, into: &config) }
        if let community = top["community_id"] { try readCommunityID(community, reader: reader, into: &config) }
        config.zonePolicy = try parseZonePolicy(top, reader: reader)
        // Fragment reassembly follows the receiving host's zone.
        config.engine.fragments.policies = config.zonePolicy.zones.flatMap { zone in
            zone.fragmentPolicy.map { policy in zone.cidrs.map { FragmentPolicyRule(network: $0.network, prefixLength: $0.prefixLength, policy: policy) } } ?? []
        }
        try parsePolicySettings(top, reader: reader, into: &config)
        try parseMarking(top, reader: reader, into: &config)
        if let metrics = top["metrics"] { try readMetrics(metrics, reader: reader, into: &config) }
        return config
    }
}
