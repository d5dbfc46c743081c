import SpanwatchFlow
import SpanwatchProtocols
import SpanwatchApp
import Testing

@Suite struct ConfigurationTests {
    @Test func bundledSampleConfigIsValid() throws {
        let path = SharedCorpus.repositoryRoot.appendingPathComponent("config/spanwatch.yaml").path
        let config = try SpanwatchConfiguration.load(path: path)
        #expect(config.sensorName == "ot-sensor-01")
        #expect(config.engine.flowTable.maximumFlows == 65536 && config.engine.flowTable.memcap == 64 << 20)
        #expect(config.engine.flowTable.tcpEstablishedTimeout == 3600)
        #expect(config.engine.anomalySampling.threshold == 25 && config.engine.anomalySampling.rate == 1000)
        #expect(config.zonePolicy.zones.map(\.name) == ["enterprise", "supervisory", "control", "iot"])
        #expect(config.zonePolicy.conduits.count == 4)
        #expect(config.policySettings.hosts.map(\.name) == ["hmi-1", "eng-ws-1", "plc-1"])
        #expect(config.policySettings.allowedOperations.first?.operations == ["program_download", "program_upload"])
        #expect(config.policySettings.allowedOperations.first?.to.map(\.description) == ["10.10.2.0/24", "10.20.0.0/16"])  // the zone's blocks
        #expect(config.policySettings.alerts.aggregateInterval == 300_000_000 && config.policySettings.alerts.ratePerMinute == 600)
        #expect(config.baselinePath == "/var/lib/spanwatch/baseline.yaml" && !config.learnMode && config.learnFor == 7 * 86_400_000_000)
        let plant = try SpanwatchConfiguration.load(path: SharedCorpus.repositoryRoot.appendingPathComponent("samples/plant/spanwatch.yaml").path)
        #expect(plant.learnMode && plant.learnFor == 60_000_000)
    }

    @Test(arguments: [
        ("version: 1\nlimits:\n  flowz: 3\n", "f.yaml:3: unknown key 'limits.flowz'"),
        ("version: 1\nlimits:\n  flow_memcap: lots\n", "f.yaml:3: 'limits.flow_memcap' is not a size"),
        ("version: 1\ntimeouts:\n  new: 5x\n", "f.yaml:3: 'timeouts.new' is not a duration"),
        ("version: 2\n", "f.yaml:1: 'version' must be 1"),
        ("sensor:\n  name: a\n", "missing key 'version'"),
        ("version: 1\noutputs:\n  eve:\n    types: [modbus, bogus]\n", "f.yaml:4: unknown event type 'bogus'"),
        ("version: 1\ncapture: [1]\n", "f.yaml:2: 'capture' must be a mapping"),
        ("version: 1\nlimits:\n  anomaly_sampling:\n    rate: 0\n", "f.yaml:4: 'limits.anomaly_sampling.rate' must be positive"),
        ("version: 1\nzones:\n  - name: a\n    cidrs: [10.0.0.0/33]\n", "f.yaml:4: 'zones[0].cidrs' has an invalid address block '10.0.0.0/33'"),
        ("version: 1\nzones:\n  - name: a\n    cidrs: []\n  - name: a\n    cidrs: []\n", "f.yaml:5: zone 'a' is defined twice"),
        ("version: 1\nzones:\n  - name: a\n    cidrs: []\nconduits:\n  - from: a\n    to: b\n    services: [any]\n",
         "f.yaml:7: 'conduits[0].to' names unknown zone 'b'"),
        ("version: 1\nconduits:\n  - from: external\n    to: external\n    services: [telnet]\n",
         "f.yaml:5: 'conduits[0].services' has an unknown service 'telnet'"),
        ("version: 1\nzones:\n  - name: a\n    cidr: []\n", "f.yaml:4: unknown key 'zones[0].cidr'"),
        ("version: 1\n  bad: [\n", "not valid YAML"),
        ("version: 1\nhosts:\n  - address: 10.0.0.1\n", "f.yaml:3: 'hosts[0]' needs 'address' and 'name'"),
        ("version: 1\nhosts:\n  - {address: 10.0.0.300, name: x}\n", "f.yaml:3: 'hosts[0].address' is not an address"),
        ("version: 1\nallowed_operations:\n  - from: [nobody]\n    to: [10.0.0.0/8]\n    operations: [any]\n",
         "f.yaml:3: 'allowed_operations[0].from' names 'nobody', which is no host name, zone or address block"),
        ("version: 1\nallowed_operations:\n  - from: [10.0.0.1]\n    to: [10.0.0.0/8]\n    operations: [format_disk]\n",
         "f.yaml:5: 'allowed_operations[0].operations' has an unknown operation 'format_disk'"),
        ("version: 1\nalerts:\n  rate_limit: 0\n", "f.yaml:3: 'alerts.rate_limit' must be positive"),
        ("version: 1\nbaseline:\n  mode: guess\n", "f.yaml:3: 'baseline.mode' must be learn or monitor"),
        ("version: 1\nbaseline:\n  mode: learn\n", "f.yaml:3: 'baseline.mode: learn' needs 'baseline.path'"),
        ("version: 1\nbaseline:\n  path: b.yaml\n  learn_for: soon\n", "f.yaml:4: 'baseline.learn_for' is not a duration"),
        ("version: 1\noutputs:\n  syslog:\n    address: siem\n", "f.yaml:4: 'outputs.syslog.address' must be HOST:PORT"),
        ("version: 1\noutputs:\n  syslog:\n    address: siem:601\n    transport: carrier-pigeon\n", "f.yaml:5: 'outputs.syslog.transport'"),
        ("version: 1\noutputs:\n  syslog:\n    address: siem:601\n    facility: local9\n", "f.yaml:5: 'outputs.syslog.facility' is unknown"),
        ("version: 1\noutputs:\n  syslog:\n    address: siem:601\n    spool_size: 1KiB\n", "f.yaml:5: 'outputs.syslog.spool_size' must be at least 64KiB"),
        ("version: 1\noutputs:\n  syslog:\n    spool: /x\n", "f.yaml:4: 'outputs.syslog.address' is missing"),
        ("version: 1\noutputs:\n  stats_interval: often\n", "f.yaml:3: 'outputs.stats_interval' is not a duration"),
        ("version: 1\noutputs:\n  syslog:\n    - address: a:1\n      spool: /s\n    - address: b:1\n      spool: /s\n",
         "f.yaml:6: 'outputs.syslog[1].spool' is also the spool of 'outputs.syslog[0]'"),
        ("version: 1\noutputs:\n  syslog:\n    - address: a:1\n      spool: /s\n    - address: a:1\n      spool: /t\n",
         "f.yaml:6: 'outputs.syslog[1].address' is also the address of 'outputs.syslog[0]'"),
        ("version: 1\noutputs:\n  syslog:\n    - address: a:1\n    - spool: /t\n", "f.yaml:5: 'outputs.syslog[1].address' is missing"),
        ("version: 1\noutputs:\n  syslog:\n    address: a:1\n    types: [alerts]\n", "f.yaml:5: unknown event type 'alerts' in 'outputs.syslog.types'"),
        ("version: 1\noutputs:\n  syslog: []\n", "f.yaml:3: 'outputs.syslog' is an empty list"),
        ("version: 1\noutputs:\n  eve:\n    - path: /a\n    - path: /a\n      types: [alert]\n",
         "f.yaml:5: 'outputs.eve[1].path' is also the path of 'outputs.eve[0]'"),
        ("version: 1\noutputs:\n  eve:\n    - path: /a\n    - paht: /b\n", "f.yaml:5: unknown key 'outputs.eve[1].paht'"),
        ("version: 1\nmetrics:\n  listen: localhost\n", "f.yaml:3: 'metrics.listen' must be IPv4:PORT"),
    ])
    func badValuesNameTheKeyAndLine(text: String, message: String) {
        do {
            _ = try SpanwatchConfiguration.parse(text, file: "f.yaml")
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.description.contains(message), "\(error.description)")
        }
    }

    @Test func outputsAreOneOrManyEachWithItsTypes() throws {
        let text = """
        version: 1
        outputs:
          eve:
            - path: /var/log/spanwatch/eve.json
            - path: "-"
              types: [alert]
            - path: /var/log/spanwatch/off.json
              enabled: false
          syslog:
            - address: siem-a:6514
              spool: /var/lib/spanwatch/spool-a
              types: [alert, stats]
            - address: "[fd00::5]:601"
              transport: udp
              spool: /var/lib/spanwatch/spool-b

        """
        let config = try SpanwatchConfiguration.parse(text, file: "f.yaml")
        #expect(config.eveOutputs.map(\.path) == ["/var/log/spanwatch/eve.json", "-"])  // the disabled one is gone
        #expect(config.eveOutputs.map(\.types) == [nil, ["alert"]])
        #expect(config.eveOutputs.map(\.key) == ["outputs.eve[0]", "outputs.eve[1]"])
        #expect(config.syslogOutputs.map(\.name) == ["syslog:siem-a:6514", "syslog:[fd00::5]:601"])
        #expect(config.syslogOutputs.map(\.types) == [["alert", "stats"], nil])
        #expect(config.syslogOutputs.map(\.key) == ["outputs.syslog[0]", "outputs.syslog[1]"])
        #expect(config.firstEveTypes == nil)
        // The one-mapping form, and no outputs section at all (stdout, every type).
        let single = try SpanwatchConfiguration.parse("version: 1\noutputs:\n  eve:\n    path: /x.json\n    types: [flow]\n", file: "f.yaml")
        #expect(single.eveOutputs.map(\.path) == ["/x.json"] && single.firstEveTypes == ["flow"])
        let off = try SpanwatchConfiguration.parse("version: 1\noutputs:\n  eve:\n    enabled: false\n", file: "f.yaml")
        #expect(off.eveOutputs.isEmpty)
        #expect(try SpanwatchConfiguration.parse("version: 1\n", file: "f.yaml").eveOutputs == [EveOutputConfiguration(path: "-")])
    }
}
