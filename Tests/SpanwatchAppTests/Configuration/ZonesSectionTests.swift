import SpanwatchApp
import SpanwatchFlow
import SpanwatchPolicy
import SpanwatchProtocols
import SpanwatchWire
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

    /// Fragment reassembly follows the receiving host's zone; limits and timeout are configurable.
    @Test func fragmentPoliciesPerZone() throws {
        let config = try configuration("zones:\n  - {name: ot, cidrs: [10.10.2.0/24], fragment_policy: linux}\n  - {name: it, cidrs: [10.0.0.0/8]}\n"
                                       + "limits:\n  fragment_memcap: 4MiB\n  fragments_per_datagram: 32\n  fragment_policy: bsd\ntimeouts:\n  fragments: 30s\n")
        let fragments = config.engine.fragments
        #expect(fragments.policy(for: IPAddress("10.10.2.7")!) == .linux && fragments.policy(for: IPAddress("10.1.1.1")!) == .bsd)
        #expect(fragments.memoryBytes == 4 << 20 && fragments.maximumFragments == 32 && fragments.timeout == 30_000_000)
        #expect(refusal("zones:\n  - {name: ot, cidrs: [10.10.2.0/24], fragment_policy: windows}\n")
            == "f.yaml:3: 'zones[0].fragment_policy' must be one of first, last, bsd, linux, not 'windows'")
    }
}
