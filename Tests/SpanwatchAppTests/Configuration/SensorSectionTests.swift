import SpanwatchApp
import Testing

@Suite struct SensorSectionTests {
    @Test func nameAndStateDirectory() throws {
        let config = try configuration("sensor:\n  name: plant-span-02\n  state_directory: /var/lib/spanwatch\n")
        #expect(config.sensorName == "plant-span-02" && config.stateDirectory == "/var/lib/spanwatch")
    }

    @Test func aNameIsOneWordWithoutColon() {
        // event_id is NAME:SEQ: a colon or a space in the name would make it ambiguous.
        #expect(refusal("sensor:\n  name: \"a:b\"\n")?.hasPrefix("f.yaml:3: 'sensor.name' must be non-empty") == true)
        #expect(refusal("sensor:\n  name: \"a b\"\n") != nil)
        #expect(refusal("sensor:\n  state_directory: \"\"\n")?.contains("'sensor.state_directory' is empty") == true)
        #expect(refusal("sensor:\n  nmae: x\n")?.contains("unknown key 'sensor.nmae'") == true)
    }
}
