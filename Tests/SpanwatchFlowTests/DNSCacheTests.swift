@testable import SpanwatchFlow
import SpanwatchProtocols
import SpanwatchWire
import Testing

@Suite struct DNSCacheTests {
    @Test func boundedByCapacityAndRefreshDoesNotGrowWithoutLimit() {
        var limits = DNSCache.Limits()
        limits.capacity = 100
        let cache = DNSCache(limits: limits)
        // 300 addresses: the oldest 200 are evicted.
        for n in 0..<300 { cache.insert(IPAddress(ipv4: UInt32(n)), name: Array("host\(n)".utf8), ttl: 60, now: 0) }
        #expect(cache.count == 100 && cache.evictions == 200)
        #expect(cache.name(for: IPAddress(ipv4: 299), now: 0) == "host299")
        #expect(cache.name(for: IPAddress(ipv4: 0), now: 0) == nil)
        // Refreshing one address 100,000 times keeps the bookkeeping bounded.
        for _ in 0..<100_000 { cache.insert(IPAddress(ipv4: 299), name: Array("host299".utf8), ttl: 60, now: 1) }
        #expect(cache.order.count - cache.orderHead <= 2 * 1024 + 1)
        // Entries live at least an hour, whatever their TTL.
        #expect(cache.name(for: IPAddress(ipv4: 299), now: 3_599_000_000) == "host299")
        #expect(cache.name(for: IPAddress(ipv4: 299), now: 3_602_000_000) == nil)
    }
}
