import SpanwatchFlow
import SpanwatchProtocols
import SpanwatchWire
import Testing

/// IPv4 and IPv6 fragment reassembly: out of order, duplicates, the four overlap policies, the
/// anomalies of evasion (different data in an overlap, a tiny first fragment, too many
/// fragments, a datagram past 65,535 bytes), timeouts and the memory cap, each counted.
@Suite struct FragmentReassemblyTests {
    static func ethernet(_ type: UInt16) -> [UInt8] { [0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, UInt8(type >> 8), UInt8(type & 0xFF)] }

    /// An IPv4 fragment of datagram `id` (UDP 10.0.0.1 -> 10.0.0.2) holding `data` at `offset`.
    static func fragment(id: UInt16 = 7, offset: Int, more: Bool, _ data: [UInt8], proto: UInt8 = 17) -> [UInt8] {
        let total = 20 + data.count
        let flags = UInt16(offset / 8) | (more ? 0x2000 : 0)
        return ethernet(0x0800) + [0x45, 0, UInt8(total >> 8), UInt8(total & 0xFF), UInt8(id >> 8), UInt8(id & 0xFF),
                                   UInt8(flags >> 8), UInt8(flags & 0xFF), 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2] + data
    }

    /// An IPv6 fragment (fragment header right after the IPv6 header; next header UDP).
    static func fragment6(id: UInt32 = 9, offset: Int, more: Bool, _ data: [UInt8]) -> [UInt8] {
        let payload = 8 + data.count
        let field = UInt16(offset / 8) << 3 | (more ? 1 : 0)
        var header: [UInt8] = [0x60, 0, 0, 0, UInt8(payload >> 8), UInt8(payload & 0xFF), 44, 64]
        header += [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1]
        header += [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [2]
        let fragmentHeader: [UInt8] = [17, 0, UInt8(field >> 8), UInt8(field & 0xFF), UInt8(id >> 24), UInt8((id >> 16) & 0xFF), UInt8((id >> 8) & 0xFF), UInt8(id & 0xFF)]
        return ethernet(0x86DD) + header + fragmentHeader + data
    }

    static func feed(_ reassembler: FragmentReassembler, _ frames: [[UInt8]], at time: Timestamp = 1_000_000) -> (findings: [FragmentReassembler.Finding], complete: Bool) {
        var all: [FragmentReassembler.Finding] = []
        var complete = false
        for bytes in frames {
            var frame = DecodedFrame()
            bytes.withUnsafeBytes { FrameDecoder.decode($0.bytes, linkType: .ethernet, wireLength: bytes.count, into: &frame) }
            let result = bytes.withUnsafeBytes { reassembler.add($0.bytes, frame: frame, linkType: .ethernet, interface: nil, at: time) }
            all += result.findings
            complete = result.complete
        }
        return (all, complete)
    }

    /// The IP payload of the reassembled datagram (after the 14-byte Ethernet and 20-byte IPv4 headers).
    static func payload(_ reassembler: FragmentReassembler) -> [UInt8] { Array(reassembler.output.dropFirst(34)) }

    @Test func outOfOrderAndDuplicatedFragmentsMakeTheDatagram() {
        let data = (0..<40).map { UInt8($0) }
        let reassembler = FragmentReassembler(limits: FragmentLimits())
        let result = Self.feed(reassembler, [Self.fragment(offset: 24, more: false, Array(data[24...])),
                                             Self.fragment(offset: 8, more: true, Array(data[8..<24])),
                                             Self.fragment(offset: 8, more: true, Array(data[8..<24])),  // a duplicate
                                             Self.fragment(offset: 0, more: true, Array(data[0..<8]))])
        #expect(result.complete && result.findings.isEmpty)
        #expect(Self.payload(reassembler) == data)
        let header = Array(reassembler.output[14..<34])
        #expect(header[2] == 0 && header[3] == 60 && header[6] == 0 && header[7] == 0)  // total length 60, no fragment bits
        #expect(reassembler.counters.reassembled == 1 && reassembler.memory == 0)
    }

    /// Five fragments where later ones overlap earlier ones from the left and at the same start:
    /// bytes 8-15, 16-23 and 24-31 end up from different fragments under each policy.
    @Test(arguments: [(FragmentPolicy.first, [1, 2, 2]), (.last, [4, 4, 3]), (.bsd, [1, 4, 2]), (.linux, [1, 4, 3])])
    func eachPolicyKeepsWhatItsHostsWouldSee(_ policy: FragmentPolicy, _ winners: [UInt8]) {
        var limits = FragmentLimits()
        limits.defaultPolicy = policy
        let reassembler = FragmentReassembler(limits: limits)
        func filled(_ fragment: UInt8, _ count: Int) -> [UInt8] { [UInt8](repeating: fragment, count: count) }
        let result = Self.feed(reassembler, [Self.fragment(offset: 0, more: true, filled(1, 16)),
                                             Self.fragment(offset: 16, more: true, filled(2, 16)),
                                             Self.fragment(offset: 16, more: true, filled(3, 16)),
                                             Self.fragment(offset: 8, more: true, filled(4, 16)),
                                             Self.fragment(offset: 32, more: false, filled(5, 8))])
        #expect(result.complete && result.findings == [.overlapDifferent])  // reported once per datagram
        let payload = Self.payload(reassembler)
        #expect([payload[8], payload[16], payload[24]] == winners, "\(policy)")
        #expect(payload[0] == 1 && payload[32] == 5)
        #expect(reassembler.counters.overlaps == 2)  // fragments whose data differed: the third and the fourth
    }

    @Test func aPolicyFollowsTheReceivingHostsBlock() {
        var limits = FragmentLimits()
        limits.policies = [FragmentPolicyRule(network: IPAddress("10.0.0.0")!, prefixLength: 24, policy: .last),
                           FragmentPolicyRule(network: IPAddress("10.0.0.2")!, prefixLength: 32, policy: .linux)]
        #expect(limits.policy(for: IPAddress("10.0.0.2")!) == .linux && limits.policy(for: IPAddress("10.0.0.9")!) == .last)
        #expect(limits.policy(for: IPAddress("10.0.1.2")!) == .first)
    }

    @Test func evasionShapesAreNamed() {
        let reassembler = FragmentReassembler(limits: FragmentLimits())
        // A first fragment of 8 bytes cannot hold a TCP header.
        #expect(Self.feed(reassembler, [Self.fragment(id: 1, offset: 0, more: true, [UInt8](repeating: 0, count: 8), proto: 6)]).findings == [.tinyFirst])
        // Past 65,535 bytes.
        #expect(Self.feed(reassembler, [Self.fragment(id: 2, offset: 65528, more: false, [UInt8](repeating: 0, count: 16))]).findings == [.tooLarge])
        // More fragments than a datagram may have: dropped.
        var limits = FragmentLimits()
        limits.maximumFragments = 4
        let small = FragmentReassembler(limits: limits)
        let many = (0..<5).map { Self.fragment(id: 3, offset: $0 * 8, more: true, [UInt8](repeating: 0, count: 8)) }
        #expect(Self.feed(small, many).findings == [.tooMany] && small.counters.dropped == 1 && small.memory == 0)
    }

    @Test func incompleteDatagramsTimeOutAndTheMemoryCapEvictsTheOldest() {
        var limits = FragmentLimits()
        limits.memoryBytes = 1000
        let reassembler = FragmentReassembler(limits: limits)
        for id in 1...6 { _ = Self.feed(reassembler, [Self.fragment(id: UInt16(id), offset: 0, more: true, [UInt8](repeating: 0, count: 200))]) }
        #expect(reassembler.counters.evictedMemcap >= 3 && reassembler.memory <= 1000)
        // The newest is still there: its last fragment completes it.
        #expect(Self.feed(reassembler, [Self.fragment(id: 6, offset: 200, more: false, [1, 2, 3, 4, 5, 6, 7, 8])]).complete)
        let waiting = FragmentReassembler(limits: FragmentLimits())
        _ = Self.feed(waiting, [Self.fragment(offset: 0, more: true, [UInt8](repeating: 0, count: 16))], at: 1_000_000)
        waiting.expire(now: 30_000_000)
        #expect(waiting.counters.timedOut == 0)
        waiting.expire(now: 62_000_000)
        #expect(waiting.counters.timedOut == 1 && waiting.memory == 0)
    }

    @Test func ipv6FragmentsLoseTheirFragmentHeader() {
        let data = (0..<24).map { UInt8($0) }
        let reassembler = FragmentReassembler(limits: FragmentLimits())
        let result = Self.feed(reassembler, [Self.fragment6(offset: 16, more: false, Array(data[16...])),
                                             Self.fragment6(offset: 0, more: true, Array(data[0..<16]))])
        #expect(result.complete)
        let ip = Array(reassembler.output[14..<54])
        #expect(ip[4] == 0 && ip[5] == 24 && ip[6] == 17)  // payload length 24, next header UDP
        #expect(Array(reassembler.output[54...]) == data)
    }

    /// Through the engine: a DNS query split in two, the second fragment first, is one DNS event.
    @Test func theEngineDecodesTheWholeDatagram() throws {
        final class Events: BoxingEventSink {
            var dns = 0
            func emit(_ context: EventContext, _ body: EventBody) { if body.eventType == DNSEvent.eventType { dns += 1 } }
        }
        // UDP 5353 -> 53 with a query for a.example (type A).
        let query: [UInt8] = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0x61, 7] + Array("example".utf8) + [0, 0, 1, 0, 1]
        let udp: [UInt8] = [0x14, 0xE9, 0x00, 0x35, 0, UInt8(8 + query.count), 0, 0] + query
        let events = Events()
        let processor = PacketProcessor(configuration: EngineConfiguration(), sink: events)
        for (index, bytes) in [Self.fragment(offset: 16, more: false, Array(udp[16...])), Self.fragment(offset: 0, more: true, Array(udp[0..<16]))].enumerated() {
            bytes.withUnsafeBytes { processor.process($0.bytes, linkType: .ethernet, wireLength: bytes.count, timestamp: 1_000_000 + Int64(index), pcapCount: UInt64(index + 1)) }
        }
        processor.finish()
        #expect(events.dns == 1)
        #expect(processor.fragmentCounters.fragments == 2 && processor.fragmentCounters.reassembled == 1)
        #expect(processor.counters.packets == 2)  // the fragments, not the datagram again
    }
}
