import SpanwatchFlow
import SpanwatchPolicy
import SpanwatchProtocols
import SpanwatchTestSupport
import SpanwatchWire
import Testing

/// Broadcast and multicast destinations are not hosts: discovery (BACnet Who-Is, SSDP, NetBIOS)
/// to the sender's own segment is judged by the sender's zone, even when the real subnet is wider
/// than the zones cut from it.
@Suite struct SegmentBroadcastTests {
    static let policy = ZonePolicy(zones: [Zone(name: "hvac", cidrs: [CIDR("10.10.1.0/24")!]), Zone(name: "control", cidrs: [CIDR("10.20.2.0/24")!])])

    @Test func whatIsASegmentBroadcast() {
        let sender = IPAddress("10.10.1.5")!
        #expect(Self.policy.isSegmentBroadcast(IPAddress("10.10.255.255")!, from: sender))  // the /16 the zone was cut from
        #expect(Self.policy.isSegmentBroadcast(IPAddress("10.255.255.255")!, from: sender))
        #expect(Self.policy.isSegmentBroadcast(IPAddress("255.255.255.255")!, from: sender))
        #expect(Self.policy.isSegmentBroadcast(IPAddress("239.255.255.250")!, from: sender))
        #expect(!Self.policy.isSegmentBroadcast(IPAddress("10.20.255.255")!, from: sender))  // another network's broadcast
        #expect(!Self.policy.isSegmentBroadcast(IPAddress("10.20.2.255")!, from: sender))  // inside a zone: a zone's address
        #expect(!Self.policy.isSegmentBroadcast(IPAddress("10.10.3.7")!, from: sender))
    }

    final class Alerts: BoxingEventSink {
        var kinds: [AlertEvent.Kind] = []
        func emit(_ context: EventContext, _ body: EventBody) {
            if case .alert(let alert) = body, alert.aggregate == nil { kinds.append(alert.kind) }
        }
    }

    @Test func discoveryToTheSegmentIsNoZoneViolation() {
        let sink = Alerts()
        let engine = PolicyEngine(policy: Self.policy, downstream: sink)
        let processor = PacketProcessor(configuration: EngineConfiguration(), sink: engine)
        processor.observer = engine
        var factory = FrameFactory()
        // BACnet Who-Is to the directed broadcast of the /16, then the same to a host in another zone.
        let whoIs: [UInt8] = [0x81, 0x0B, 0x00, 0x08, 0x01, 0x00, 0x10, 0x08]
        factory.udp(src: 0x0A0A_0105, dst: 0x0A0A_FFFF, sport: 47808, dport: 47808, payload: whoIs)
        factory.feed(processor, time: 1_000_000)
        #expect(sink.kinds.isEmpty)
        factory.udp(src: 0x0A0A_0105, dst: 0x0A14_0209, sport: 47808, dport: 47808, payload: whoIs)
        factory.feed(processor, time: 2_000_000)
        processor.finish()
        #expect(sink.kinds == [.zoneViolation])
    }
}
