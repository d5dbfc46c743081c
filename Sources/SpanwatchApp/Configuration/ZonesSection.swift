import SpanwatchWire
import SpanwatchFlow
import SpanwatchProtocols
import SpanwatchPolicy
import Yams

extension SpanwatchConfiguration {
    /// `zones:` (name, cidrs, internet, local_domains) and `conduits:` (from, to, services).
    static func parseZonePolicy(_ top: [String: Node], reader: ConfigReader) throws(ConfigurationError) -> ZonePolicy {
        var policy = ZonePolicy()
        if let zonesNode = top["zones"] {
            guard case .sequence(let items) = zonesNode else { throw ConfigurationError("\(reader.at(zonesNode)): 'zones' must be a list") }
            for (index, item) in items.enumerated() {
                let path = "zones[\(index)]"
                let map = try reader.mapping(item, path: path)
                try reader.allowOnly(map, ["name", "cidrs", "internet", "local_domains", "learn_new_devices", "fragment_policy"], path: path, node: item)
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
                let learning = try map["learn_new_devices"].map { node throws(ConfigurationError) in
                    try reader.duration(node, path: "\(path).learn_new_devices") * 1_000_000
                }
                var zone = Zone(name: name, cidrs: cidrs, internetAllowed: internet, localDomains: domains, learnNewDevices: learning)
                if let node = map["fragment_policy"] {
                    zone.fragmentPolicy = try SpanwatchConfiguration.fragmentPolicy(node, path: "\(path).fragment_policy", reader: reader)
                }
                policy.zones.append(zone)
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
