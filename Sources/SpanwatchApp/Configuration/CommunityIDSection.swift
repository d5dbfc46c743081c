import SpanwatchWire
import SpanwatchFlow
import SpanwatchProtocols
import SpanwatchPolicy
import Yams

extension SpanwatchConfiguration {
    /// `community_id:` the Community ID seed.
    static func readCommunityID(_ community: Node, reader: ConfigReader, into config: inout SpanwatchConfiguration) throws(ConfigurationError) {
        let map = try reader.mapping(community, path: "community_id")
        try reader.allowOnly(map, ["seed"], path: "community_id", node: community)
        if let node = map["seed"] {
            let seed = try reader.integer(node, path: "community_id.seed")
            guard (0...65535).contains(seed) else { throw ConfigurationError("\(reader.at(node)): 'community_id.seed' must be 0-65535") }
            config.engine.communityIDSeed = UInt16(seed)
        }
    }
}
