import SpanwatchWire
import SpanwatchFlow
import SpanwatchProtocols
import SpanwatchPolicy
import Yams

extension SpanwatchConfiguration {
    /// `capture:` interfaces, snap length, kernel buffer, promiscuous mode, BPF expression.
    static func readCapture(_ capture: Node, reader: ConfigReader, into config: inout SpanwatchConfiguration) throws(ConfigurationError) {
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
}
