/// The flow table's index: key → slot, open addressing with linear probing.
///
/// Swift's `Dictionary` hashes with SipHash through the `Hasher` protocol, a large share of the
/// per-packet cost. This index keeps one 64-bit word per bucket (32 bits of the key's hash and
/// the slot), compares keys only when those 32 bits match, and removes by backward shift, so it
/// needs no tombstones and lookups stay short however long the sensor runs. The hash is keyed
/// with a random per-process seed: the traffic on a SPAN port is the attacker's to choose, and a
/// fixed hash would let them pile flows into one probe chain.
final class FlowIndex {
    private(set) var count = 0
    private var mask: Int
    /// 0: empty; else `hashLow32 << 32 | (slot + 1)`.
    private var buckets: UnsafeMutablePointer<UInt64>
    /// Each slot's key (the flow table owns the slots; this mirrors their keys).
    private var keys: [FlowKey] = []
    private let seed0: UInt64
    private let seed1: UInt64

    init(minimumCapacity: Int) {
        var capacity = 64
        while capacity < minimumCapacity * 2 { capacity <<= 1 }
        mask = capacity - 1
        buckets = .allocate(capacity: capacity)
        buckets.initialize(repeating: 0, count: capacity)
        var generator = SystemRandomNumberGenerator()
        seed0 = generator.next() | 1
        seed1 = generator.next() | 1
    }

    deinit { buckets.deallocate() }

    /// Bytes of memory the index holds (buckets and the key mirror).
    var memoryBytes: Int { (mask + 1) * 8 + keys.capacity * MemoryLayout<FlowKey>.stride }

    @inline(__always)
    private static func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let product = a.multipliedFullWidth(by: b)
        return product.high ^ product.low
    }

    @inline(__always)
    func hash(_ key: FlowKey) -> UInt32 {
        var h = FlowIndex.mix(key.aLow ^ seed0, key.bLow ^ 0x9E37_79B9_7F4A_7C15)
        h ^= FlowIndex.mix(key.aHigh ^ seed1, key.bHigh ^ 0xC2B2_AE3D_27D4_EB4F)
        let ports = UInt64(key.aPort) << 48 | UInt64(key.bPort) << 32 | UInt64(key.vlans)
        let rest = UInt64(key.tunnel) << 32 | UInt64(key.ipProtocol) << 8 | (key.isIPv6 ? 1 : 0)
        h = FlowIndex.mix(h ^ ports ^ seed0, rest ^ seed1 ^ 0x1656_67B1_9E37_79F9)
        return UInt32(truncatingIfNeeded: h ^ (h >> 32))
    }

    func find(_ key: FlowKey) -> Int32? {
        let tag = hash(key)
        var index = Int(tag) & mask
        while true {
            let bucket = buckets[index]
            if bucket == 0 { return nil }
            if UInt32(truncatingIfNeeded: bucket >> 32) == tag {
                let slot = Int(bucket & 0xFFFF_FFFF) - 1
                if keys[slot] == key { return Int32(slot) }
            }
            index = (index + 1) & mask
        }
    }

    /// Adds `key` at `slot`; the key must not be present.
    func insert(_ key: FlowKey, slot: Int32) {
        if (count + 1) * 2 > mask + 1 { grow() }
        let s = Int(slot)
        if s >= keys.count { keys.append(contentsOf: repeatElement(key, count: s - keys.count + 1)) }
        keys[s] = key
        place(tag: hash(key), slot: slot)
        count += 1
    }

    /// Removes `key`, which must be present at `slot`.
    func remove(_ key: FlowKey, slot: Int32) {
        let wanted = UInt64(UInt32(bitPattern: slot + 1))
        var hole = Int(hash(key)) & mask
        while buckets[hole] & 0xFFFF_FFFF != wanted {
            precondition(buckets[hole] != 0, "flow index: removing a key that is not present")
            hole = (hole + 1) & mask
        }
        // Backward shift: pull later members of the probe chain into the hole.
        var next = hole
        while true {
            next = (next + 1) & mask
            let bucket = buckets[next]
            if bucket == 0 { break }
            let home = Int(bucket >> 32) & mask
            let fitsInHole = next > hole ? (home <= hole || home > next) : (home <= hole && home > next)
            if fitsInHole {
                buckets[hole] = bucket
                hole = next
            }
        }
        buckets[hole] = 0
        count -= 1
    }

    private func place(tag: UInt32, slot: Int32) {
        var index = Int(tag) & mask
        while buckets[index] != 0 { index = (index + 1) & mask }
        buckets[index] = UInt64(tag) << 32 | UInt64(UInt32(bitPattern: slot + 1))
    }

    private func grow() {
        let oldCapacity = mask + 1
        let old = buckets
        mask = oldCapacity * 2 - 1
        buckets = .allocate(capacity: oldCapacity * 2)
        buckets.initialize(repeating: 0, count: oldCapacity * 2)
        for i in 0..<oldCapacity where old[i] != 0 {
            place(tag: UInt32(truncatingIfNeeded: old[i] >> 32), slot: Int32(truncatingIfNeeded: old[i] & 0xFFFF_FFFF) - 1)
        }
        old.deallocate()
    }
}
