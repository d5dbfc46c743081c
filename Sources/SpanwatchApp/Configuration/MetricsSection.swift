import SpanwatchWire
import SpanwatchFlow
import SpanwatchProtocols
import SpanwatchPolicy
import Yams

extension SpanwatchConfiguration {
    /// `metrics:` where `/metrics`, `/healthz` and `/readyz` are served.
    static func readMetrics(_ metrics: Node, reader: ConfigReader, into config: inout SpanwatchConfiguration) throws(ConfigurationError) {
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
}
