import SpanwatchFlow
import SpanwatchWire

/// How alerts reach the SOC without flooding it: one alert per key, then an aggregate record on
/// an interval while the key keeps happening, and a global rate limit on new alerts.
public struct AlertSettings: Sendable, Equatable {
    /// Packet time between aggregate records of a key that keeps happening (0: never).
    public var aggregateInterval: Timestamp = 300_000_000
    /// New alerts written per minute of packet time at most; past it they are held back
    /// (counted, and reported by the key's next aggregate record).
    public var ratePerMinute = 600
    public init() {}
}

/// The keys alerts were raised for: counts, and what their aggregate records need. Bounded.
struct AlertLedger {
    static let maximumKeys = 65536

    struct Entry {
        var alert: AlertEvent
        var total: UInt64
        var sinceReport: UInt64
        var firstSeen: Timestamp
        var lastSeen: Timestamp
        var heldBack: Bool
        var dirty: Bool
        /// The values of the latest occurrence (alerts about written values).
        var lastValues: String?
    }

    var entries: [Entry] = []
    var index: [String: Int] = [:]
    /// Entries with occurrences not yet reported.
    var dirty: [Int] = []
    var lastSweep: Timestamp? = nil
    var tokens: Double
    var lastRefill: Timestamp? = nil
    let settings: AlertSettings

    init(settings: AlertSettings) {
        self.settings = settings
        tokens = Double(settings.ratePerMinute)
    }

    enum Outcome { case write, heldBack, repeated }

    /// Records one occurrence of `key`; `make` builds the alert only for a key not seen before,
    /// `values` the written values of a repeat (for the aggregate's `last_values`).
    mutating func record(key: String, time: Timestamp, counters: inout PolicyEngine.Counters, values: (() -> String?)? = nil,
                         make: () -> AlertEvent) -> (Outcome, AlertEvent?) {
        if let slot = index[key] {
            if let values { entries[slot].lastValues = values() }
            entries[slot].total += 1
            entries[slot].sinceReport += 1
            entries[slot].lastSeen = time
            if !entries[slot].dirty { entries[slot].dirty = true; dirty.append(slot) }
            counters.repeats += 1
            return (.repeated, nil)
        }
        let alert = make()
        let allowed = takeToken(at: time)
        if entries.count < AlertLedger.maximumKeys {
            index[key] = entries.count
            entries.append(Entry(alert: alert, total: 1, sinceReport: allowed ? 0 : 1, firstSeen: time, lastSeen: time,
                                 heldBack: !allowed, dirty: !allowed, lastValues: alert.values))
            if !allowed { dirty.append(entries.count - 1) }
        } else {
            counters.keysDropped += 1
        }
        if allowed {
            counters.alerts += 1
            counters.byKind[alert.kind, default: 0] += 1
            return (.write, alert)
        }
        counters.rateLimited += 1
        return (.heldBack, alert)
    }

    private mutating func takeToken(at time: Timestamp) -> Bool {
        let capacity = Double(settings.ratePerMinute)
        if let last = lastRefill, time > last {
            tokens = min(capacity, tokens + Double(time - last) * capacity / 60_000_000)
        }
        lastRefill = time
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    /// At most once per interval of packet time: an aggregate record for every key that happened
    /// again (or was held back) since its last record.
    mutating func sweep(at time: Timestamp, emit: (AlertEvent) -> Void) {
        guard settings.aggregateInterval > 0 else { return }
        guard let last = lastSweep else { lastSweep = time; return }
        guard time - last >= settings.aggregateInterval else { return }
        lastSweep = time
        flush(emit: emit)
    }

    /// Aggregate records for everything not yet reported (also at the end of input).
    mutating func flush(emit: (AlertEvent) -> Void) {
        for slot in dirty.sorted() {
            var entry = entries[slot]
            guard entry.sinceReport > 0 else { entries[slot].dirty = false; continue }
            var alert = entry.alert
            alert.evidence = nil
            alert.aggregate = AlertAggregate(count: entry.sinceReport, total: entry.total, firstSeen: entry.firstSeen,
                                             lastSeen: entry.lastSeen, firstHeldBack: entry.heldBack,
                                             firstValues: entry.alert.values, lastValues: entry.lastValues)
            alert.values = nil
            emit(alert)
            entry.sinceReport = 0
            entry.dirty = false
            entries[slot] = entry
        }
        dirty.removeAll(keepingCapacity: true)
    }

    func occurrences(of key: String) -> UInt64 { index[key].map { entries[$0].total } ?? 0 }
}
