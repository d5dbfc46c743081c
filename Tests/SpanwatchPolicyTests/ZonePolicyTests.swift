import SpanwatchProtocols
import SpanwatchFlow
import SpanwatchPolicy
import SpanwatchWire
import Testing

@Suite struct ZonePolicyTests {
    static let policy = ZonePolicy(
        zones: [
            Zone(name: "enterprise", cidrs: [CIDR("10.0.0.0/8")!]),
            Zone(name: "control", cidrs: [CIDR("10.10.0.0/16")!, CIDR("fd00:10::/32")!], localDomains: ["plant.local"]),
            Zone(name: "historian", cidrs: [CIDR("10.10.9.5")!], internetAllowed: true),
        ],
        conduits: [
            Conduit(from: "enterprise", to: "historian", services: [Service("tcp/443")!]),
            Conduit(from: "control", to: "enterprise", services: [Service("dns")!]),
        ])

    @Test func cidrParsingAndMatching() {
        #expect(CIDR("10.10.0.0/16")?.contains(IPAddress("10.10.200.1")!) == true)
        #expect(CIDR("10.10.0.0/16")?.contains(IPAddress("10.11.0.1")!) == false)
        #expect(CIDR("10.10.3.7/16")?.description == "10.10.0.0/16")  // host bits cleared
        #expect(CIDR("fd00:10::/32")?.contains(IPAddress("fd00:10:ffff::1")!) == true)
        #expect(CIDR("fd00:10::/32")?.contains(IPAddress("10.10.0.1")!) == false)  // families never mix
        #expect(CIDR("0.0.0.0/0")?.contains(IPAddress("203.0.113.9")!) == true)
        #expect(CIDR("2001:db8::/96")?.contains(IPAddress("2001:db8::1:2")!) == true)
        for bad in ["10.0.0.0/33", "10.0.0/8", "fd00::/129", "x", "10.0.0.0/-1", "10.0.0.0/8/1"] { #expect(CIDR(bad) == nil, "\(bad)") }
    }

    @Test func theMostSpecificBlockNamesTheZone() {
        #expect(Self.policy.zone(of: IPAddress("10.1.2.3")!)?.name == "enterprise")
        #expect(Self.policy.zone(of: IPAddress("10.10.2.3")!)?.name == "control")
        #expect(Self.policy.zone(of: IPAddress("10.10.9.5")!)?.name == "historian")
        #expect(Self.policy.zone(of: IPAddress("203.0.113.9")!) == nil)
    }

    @Test func conduitsAllowServicesOneWay() {
        let p = Self.policy
        #expect(p.allows(from: "enterprise", to: "historian", transport: .tcp, serverPort: 443, app: .unknown))
        #expect(!p.allows(from: "enterprise", to: "historian", transport: .tcp, serverPort: 502, app: .modbus))
        #expect(!p.allows(from: "historian", to: "enterprise", transport: .tcp, serverPort: 443, app: .unknown))  // one way
        #expect(p.allows(from: "control", to: "enterprise", transport: .udp, serverPort: 53, app: .dns))
        #expect(!p.allows(from: "control", to: "enterprise", transport: .udp, serverPort: 53, app: .unknown))  // by protocol, not port
        #expect(!p.allows(from: "control", to: "enterprise", transport: .udp, serverPort: 53, app: .failed, ended: true))
        // A flow that ended with no payload (a poller retrying a dead server) on the protocol's port.
        #expect(p.allows(from: "control", to: "enterprise", transport: .udp, serverPort: 53, app: .unknown, ended: true))
        #expect(!p.allows(from: "control", to: "enterprise", transport: .udp, serverPort: 54, app: .unknown, ended: true))
        #expect(p.allows(from: "control", to: "control", transport: .tcp, serverPort: 502, app: .modbus))  // inside a zone
    }

    @Test func servicesParse() {
        #expect(Service("Modbus") == .application(.modbus))
        #expect(Service("tcp/502") == .port(transport: .tcp, port: 502))
        #expect(Service("udp") == .port(transport: .udp, port: nil))
        #expect(Service("any") == .any)
        for bad in ["tcp/70000", "sctp/1", "tcp/", "telnet"] { #expect(Service(bad) == nil, "\(bad)") }
    }

    @Test func publicAddressesAndLocalNames() {
        for address in ["10.1.1.1", "172.16.0.1", "192.168.1.1", "127.0.0.1", "169.254.1.1", "100.64.0.1", "224.0.0.251", "fd00::1", "fe80::1", "ff02::fb", "::1"] {
            #expect(!ZonePolicy.isPublic(IPAddress(address)!), "\(address)")
        }
        for address in ["8.8.8.8", "203.0.113.35", "172.32.0.1", "2001:4860::8888", "::ffff:8.8.8.8"] {
            #expect(ZonePolicy.isPublic(IPAddress(address)!), "\(address)")
        }
        let control = Self.policy.zones[1]
        #expect(ZonePolicy.isLocal("historian.plant.local", in: control))
        #expect(ZonePolicy.isLocal("plc7", in: control))
        #expect(!ZonePolicy.isLocal("www.facebook.com", in: control))
        #expect(!ZonePolicy.isLocal("notplant.local.evil.com", in: control))
    }
}

@Suite struct PortScanBoundsTests {
    final class Drop: BoxingEventSink {
        var alerts = 0
        func emit(_ context: EventContext, _ body: EventBody) { if case .alert = body { alerts += 1 } }
    }

    /// A SYN flood from 200,000 random sources: tracking stays within its bound (new sources past
    /// it are counted, not tracked) and the work per flow stays small.
    @Test func floodOfSourcesStaysBounded() {
        let sink = Drop()
        let engine = PolicyEngine(policy: ZonePolicy(), downstream: sink)
        var configuration = EngineConfiguration()
        configuration.flowTable.maximumFlows = 4096
        let processor = PacketProcessor(configuration: configuration, sink: engine)
        processor.observer = engine
        var frame = [UInt8](repeating: 0, count: 54)
        frame[12] = 0x08; frame[14] = 0x45; frame[17] = 40; frame[22] = 64; frame[23] = 6
        frame[30] = 10; frame[31] = 10; frame[32] = 2; frame[33] = 20  // destination 10.10.2.20
        frame[36] = 0x01; frame[37] = 0xF6  // port 502
        frame[46] = 0x50; frame[47] = 0x02  // SYN
        for n in 0..<200_000 {
            frame[26] = 11; frame[27] = UInt8(truncatingIfNeeded: n >> 16); frame[28] = UInt8(truncatingIfNeeded: n >> 8)
            frame[29] = UInt8(truncatingIfNeeded: n)
            frame[34] = UInt8(truncatingIfNeeded: n >> 8) | 0x80; frame[35] = UInt8(truncatingIfNeeded: n)
            frame.withUnsafeBytes { processor.process($0.bytes, linkType: .ethernet, wireLength: 54, timestamp: 1_000_000 + Int64(n), pcapCount: 0) }
        }
        #expect(engine.counters.keysDropped > 0)
        #expect(sink.alerts == 0)  // one target per source: no scan
    }
}
