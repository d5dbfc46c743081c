import SpanwatchApp
import SpanwatchFlow
import SpanwatchPolicy
import SpanwatchProtocols
import Testing

@Suite struct ZonesSectionTests {
    static let zones = "zones:\n  - name: control\n    cidrs: [10.10.2.0/24]\n  - name: enterprise\n    cidrs: [10.30.0.0/16]\n    internet: true\n"

    @Test func zonesAndConduits() throws {
        let config = try configuration(Self.zones + "conduits:\n  - from: enterprise\n    to: control\n    services: [modbus, tcp/102, udp, any]\n")
        #expect(config.zonePolicy.zones.map(\.name) == ["control", "enterprise"] && config.zonePolicy.zones[1].internetAllowed)
        #expect(config.zonePolicy.conduits.first?.services.map(\.description) == ["modbus", "tcp/102", "udp", "any"])
    }

    @Test func everyRegisteredProtocolIsAService() throws {
        for name in ProtocolRegistry.standard.names {
            let config = try configuration(Self.zones + "conduits:\n  - from: enterprise\n    to: control\n    services: [\(name.uppercased())]\n")
            #expect(config.zonePolicy.conduits.first?.services == [.application(ProtocolRegistry.standard.named(name)!)])
        }
    }

    @Test func conduitsNameKnownZonesAndServices() {
        #expect(refusal(Self.zones + "conduits:\n  - from: enterprise\n    to: dmz\n    services: [any]\n")?
            .contains("'conduits[0].to' names unknown zone 'dmz'") == true)
        #expect(refusal(Self.zones + "conduits:\n  - from: enterprise\n    to: control\n    services: [telnet]\n")?
            .contains("'conduits[0].services' has an unknown service 'telnet'") == true)
        #expect(refusal("zones:\n  - name: external\n    cidrs: []\n")?.contains("must be a name other than 'external'") == true)
    }

    /// A zone where devices come and go gives new ones a learning window; their proposal goes
    /// beside the baseline unless `baseline.proposal` says where.
    @Test func learnNewDevicesIsAWindowPerZone() throws {
        let config = try configuration("zones:\n  - {name: iot, cidrs: [10.40.0.0/16], learn_new_devices: 7d}\n  - {name: ot, cidrs: [10.10.2.0/24]}\n"
                                       + "baseline:\n  path: /var/lib/spanwatch/baseline.yaml\n")
        #expect(config.zonePolicy.zones.map(\.learnNewDevices) == [7 * 86_400_000_000, nil])
        #expect(config.proposalPath == "/var/lib/spanwatch/baseline-proposal.yaml")
        #expect(refusal("zones:\n  - {name: iot, cidrs: [10.40.0.0/16], learn_new_devices: a week}\n")
            == "f.yaml:3: 'zones[0].learn_new_devices' is not a duration: 'a week' (examples: 30s, 5m, 1h, 7d)")
    }
}
