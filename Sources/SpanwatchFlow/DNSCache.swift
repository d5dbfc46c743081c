import SpanwatchWire

/// Address → name, learned from DNS answers, so that later flows carry the name their server was
/// resolved from ("why does that sewing machine need Facebook?"). Bounded: the oldest entry goes
/// when it is full; entries live for their TTL, but at least `minimumLifetime` (devices connect
/// long after a short TTL).
public final class DNSCache {
    public struct Limits: Sendable {
        public var capacity = 16384
        public var minimumLifetime: Int64 = 3600
        public var maximumLifetime: Int64 = 86400
        public init() {}
    }

    struct Entry {
        var name: String
        var expires: Timestamp
        var generation: UInt64
    }

    public let limits: Limits
    var entries: [IPAddress: Entry] = [:]
    /// Insertion order for eviction; stale positions (re-inserted keys) are skipped by generation.
    var order: [(address: IPAddress, generation: UInt64)] = []
    var orderHead = 0
    var generation: UInt64 = 0
    public private(set) var evictions: UInt64 = 0

    public init(limits: Limits) {
        self.limits = limits
        entries.reserveCapacity(min(limits.capacity, 1 << 16))
    }

    public var count: Int { entries.count }

    /// Records that `address` was resolved from `name` at `now` with `ttl` seconds to live.
    /// Allocates only when the name is new for that address.
    public func insert(_ address: IPAddress, name: [UInt8], ttl: UInt32, now: Timestamp) {
        guard limits.capacity > 0 else { return }
        let lifetime = min(max(Int64(ttl), limits.minimumLifetime), limits.maximumLifetime)
        generation += 1
        if var entry = entries[address], entry.name.utf8.elementsEqual(name) {
            entry.expires = now + lifetime * 1_000_000
            entry.generation = generation
            entries[address] = entry
        } else {
            while entries[address] == nil && entries.count >= limits.capacity { evictOldest() }
            entries[address] = Entry(name: String(decoding: name, as: UTF8.self), expires: now + lifetime * 1_000_000, generation: generation)
        }
        order.append((address, generation))
        if orderHead > 4096 && orderHead * 2 > order.count {
            order.removeFirst(orderHead)
            orderHead = 0
        }
        // Refreshing the same addresses appends without evicting: drop the stale positions so
        // the order list stays within a small multiple of the entries.
        if order.count - orderHead > 2 * max(limits.capacity, 1024) {
            order = order[orderHead...].filter { entries[$0.address]?.generation == $0.generation }
            orderHead = 0
        }
    }

    public func name(for address: IPAddress, now: Timestamp) -> String? {
        guard let entry = entries[address], entry.expires >= now else { return nil }
        return entry.name
    }

    private func evictOldest() {
        while orderHead < order.count {
            let (address, generation) = order[orderHead]
            orderHead += 1
            if let entry = entries[address], entry.generation == generation {
                entries[address] = nil
                evictions += 1
                return
            }
        }
        if let any = entries.keys.first { entries[any] = nil; evictions += 1 }
    }
}
