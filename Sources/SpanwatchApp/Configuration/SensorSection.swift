import SpanwatchWire
import SpanwatchFlow
import SpanwatchProtocols
import SpanwatchPolicy
import Yams

extension SpanwatchConfiguration {
    /// `sensor:` the name in `host` and `event_id`, and where `seq` is reserved.
    static func readSensor(_ sensor: Node, reader: ConfigReader, into config: inout SpanwatchConfiguration) throws(ConfigurationError) {
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
}
