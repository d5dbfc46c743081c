import SpanwatchApp
import Testing

@Suite struct OutputsSectionTests {
    @Test func oneOrManyEveOutputsEachWithItsTypes() throws {
        let one = try configuration("outputs:\n  eve:\n    path: /tmp/eve.json\n    types: [alert, flow]\n")
        #expect(one.eveOutputs.map(\.path) == ["/tmp/eve.json"] && one.firstEveTypes == ["alert", "flow"])
        let many = try configuration("outputs:\n  eve:\n    - path: /tmp/a.json\n    - path: /tmp/b.json\n      types: [modbus]\n    - enabled: false\n")
        #expect(many.eveOutputs.map(\.path) == ["/tmp/a.json", "/tmp/b.json"] && many.eveOutputs[1].types == ["modbus"])
        #expect(try configuration("outputs:\n  stats_interval: 0\n").statsInterval == 0)
    }

    @Test func typesComeFromTheRegistry() throws {
        // Every protocol's event types and the machinery's are accepted; nothing else.
        for type in SpanwatchConfiguration.knownEventTypes {
            #expect(try configuration("outputs:\n  eve:\n    types: [\(type)]\n").firstEveTypes == [type])
        }
        #expect(SpanwatchConfiguration.knownEventTypes.isSuperset(of: ["modbus", "dnp3", "s7comm", "cotp", "mqtt", "http", "dns", "flow", "alert"]))
        #expect(refusal("outputs:\n  eve:\n    types: [modbus, bogus]\n")?.hasPrefix("f.yaml:4: unknown event type 'bogus'") == true)
    }

    @Test func twoOutputsCannotShareAFileOrASpool() {
        #expect(refusal("outputs:\n  eve:\n    - path: /tmp/a.json\n    - path: /tmp/a.json\n")?.contains("is also the path of 'outputs.eve[0]'") == true)
        let spools = "outputs:\n  syslog:\n    - address: 127.0.0.1:601\n      spool: /tmp/s\n    - address: 127.0.0.1:602\n      spool: /tmp/s\n"
        #expect(refusal(spools)?.contains("is also the spool of 'outputs.syslog[0]'") == true)
    }
}
