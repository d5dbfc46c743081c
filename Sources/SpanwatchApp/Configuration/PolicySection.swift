import SpanwatchWire
import SpanwatchFlow
import SpanwatchProtocols
import SpanwatchPolicy
import Yams

extension SpanwatchConfiguration {
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
            try reader.allowOnly(map, ["aggregate_interval", "rate_limit", "maintenance_file", "mutes_file"], path: "alerts", node: alertsNode)
            if let node = map["maintenance_file"] { config.maintenanceFile = try reader.string(node, path: "alerts.maintenance_file") }
            if let node = map["mutes_file"] { config.mutesFile = try reader.string(node, path: "alerts.mutes_file") }
            if let node = map["aggregate_interval"] {
                settings.alerts.aggregateInterval = try reader.duration(node, path: "alerts.aggregate_interval", allowZero: true) * 1_000_000
            }
            if let node = map["rate_limit"] { settings.alerts.ratePerMinute = try reader.positive(node, path: "alerts.rate_limit") }
        }
        if let baselineNode = top["baseline"] {
            let map = try reader.mapping(baselineNode, path: "baseline")
            try reader.allowOnly(map, ["path", "mode", "learn_for", "proposal"], path: "baseline", node: baselineNode)
            if let node = map["proposal"] { config.proposalPath = try reader.string(node, path: "baseline.proposal") }
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
}
