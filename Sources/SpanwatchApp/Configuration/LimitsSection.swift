import SpanwatchWire
import SpanwatchFlow
import SpanwatchProtocols
import SpanwatchPolicy
import Yams

extension SpanwatchConfiguration {
    /// `limits:` the engine's bounds, and each protocol's own (declared in its folder).
    static func fragmentPolicy(_ node: Node, path: String, reader: ConfigReader) throws(ConfigurationError) -> FragmentPolicy {
        let text = try reader.string(node, path: path)
        guard let policy = FragmentPolicy(rawValue: text) else {
            throw ConfigurationError("\(reader.at(node)): '\(path)' must be one of \(FragmentPolicy.allCases.map(\.rawValue).joined(separator: ", ")), not '\(text)'")
        }
        return policy
    }

    static func readLimits(_ limits: Node, reader: ConfigReader, into config: inout SpanwatchConfiguration) throws(ConfigurationError) {
        let map = try reader.mapping(limits, path: "limits")
        let protocolLimits = ProtocolRegistry.standard.limits
        try reader.allowOnly(map, Set(["flows", "flow_memcap", "reassembly", "dns_cache_entries", "anomaly_rate", "anomaly_sampling",
                                       "fragment_memcap", "fragments_per_datagram", "fragment_policy"]
                                      + protocolLimits.map(\.key)),
                             path: "limits", node: limits)
        if let node = map["flows"] { config.engine.flowTable.maximumFlows = try reader.positive(node, path: "limits.flows") }
        if let node = map["flow_memcap"] { config.engine.flowTable.memcap = try reader.size(node, path: "limits.flow_memcap") }
        // IP fragment reassembly: memory for incomplete datagrams, fragments per datagram, and
        // the overlap policy of hosts in no zone that sets one.
        if let node = map["fragment_memcap"] { config.engine.fragments.memoryBytes = try reader.size(node, path: "limits.fragment_memcap") }
        if let node = map["fragments_per_datagram"] {
            config.engine.fragments.maximumFragments = min(try reader.positive(node, path: "limits.fragments_per_datagram"), 255)
        }
        if let node = map["fragment_policy"] { config.engine.fragments.defaultPolicy = try fragmentPolicy(node, path: "limits.fragment_policy", reader: reader) }
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
}
