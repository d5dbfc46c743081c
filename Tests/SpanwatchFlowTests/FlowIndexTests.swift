@testable import SpanwatchFlow
import SpanwatchProtocols
import SpanwatchWire
import Testing

@Suite struct FlowIndexTests {
    static func key(_ n: UInt32) -> FlowKey {
        FlowKey(a: IPAddress(ipv4: 0x0A00_0000 | (n & 0xFFFF)), aPort: UInt16(truncatingIfNeeded: n >> 3), b: IPAddress(ipv4: 0xC0A8_0001),
                bPort: 502, ipProtocol: 6)
    }

    /// Random inserts and removals, checked against a Dictionary after every step: backward-shift
    /// deletion must keep every remaining key findable, through growth and wrap-around.
    @Test func agreesWithADictionaryUnderChurn() {
        let index = FlowIndex(minimumCapacity: 8)
        var model: [FlowKey: Int32] = [:]
        var freeSlots: [Int32] = []
        var nextSlot: Int32 = 0
        var generator = SplitMix(seed: 7)
        for step in 0..<20_000 {
            let n = UInt32(generator.next() % 3000)
            let key = Self.key(n)
            if let slot = model[key] {
                index.remove(key, slot: slot)
                model[key] = nil
                freeSlots.append(slot)
            } else {
                let slot = freeSlots.popLast() ?? { defer { nextSlot += 1 }; return nextSlot }()
                index.insert(key, slot: slot)
                model[key] = slot
            }
            if step % 997 == 0 {
                for probe in 0..<3000 as Range<UInt32> {
                    #expect(index.find(Self.key(probe)) == model[Self.key(probe)])
                }
            }
        }
        #expect(index.count == model.count)
        for (key, slot) in model { #expect(index.find(key) == slot) }
    }

    @Test func directionAndVLANAreDifferentFlows() {
        let index = FlowIndex(minimumCapacity: 4)
        let plain = FlowKey(a: IPAddress(ipv4: 1), aPort: 1, b: IPAddress(ipv4: 2), bPort: 2, ipProtocol: 6)
        let tagged = FlowKey(a: IPAddress(ipv4: 1), aPort: 1, b: IPAddress(ipv4: 2), bPort: 2, ipProtocol: 6, vlans: 10 << 16)
        let udp = FlowKey(a: IPAddress(ipv4: 1), aPort: 1, b: IPAddress(ipv4: 2), bPort: 2, ipProtocol: 17)
        index.insert(plain, slot: 0)
        index.insert(tagged, slot: 1)
        #expect(index.find(plain) == 0)
        #expect(index.find(tagged) == 1)
        #expect(index.find(udp) == nil)
    }
}

/// A small deterministic generator for tests.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
