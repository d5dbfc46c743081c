import SpanwatchWire
import SpanwatchFlow
import SpanwatchProtocols
import SpanwatchPolicy
import Yams

extension SpanwatchConfiguration {
    /// `timeouts:` flow timeouts by state, and the interim record interval.
    static func readTimeouts(_ timeouts: Node, reader: ConfigReader, into config: inout SpanwatchConfiguration) throws(ConfigurationError) {
        let map = try reader.mapping(timeouts, path: "timeouts")
        try reader.allowOnly(map, ["new", "tcp_established", "udp_established", "closed", "interim", "fragments"], path: "timeouts", node: timeouts)
        if let node = map["new"] { config.engine.flowTable.newTimeout = try reader.duration(node, path: "timeouts.new") }
        if let node = map["tcp_established"] { config.engine.flowTable.tcpEstablishedTimeout = try reader.duration(node, path: "timeouts.tcp_established") }
        if let node = map["udp_established"] { config.engine.flowTable.udpEstablishedTimeout = try reader.duration(node, path: "timeouts.udp_established") }
        if let node = map["closed"] { config.engine.flowTable.closedTimeout = try reader.duration(node, path: "timeouts.closed") }
        if let node = map["fragments"] { config.engine.fragments.timeout = try reader.duration(node, path: "timeouts.fragments") * 1_000_000 }
        if let node = map["interim"] { config.engine.flowTable.interimInterval = try reader.duration(node, path: "timeouts.interim", allowZero: true) }
    }
}
