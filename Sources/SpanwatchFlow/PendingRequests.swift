/// Requests waiting for their answers, oldest first and at most `capacity`: the pairing every
/// request/response session does (Modbus by transaction id, IEC 104 activations, BACnet invoke
/// ids, EtherNet/IP sender contexts). A linear scan: few are pending at a time, and the array's
/// capacity is kept, so pairing allocates nothing per transaction.
public struct PendingRequests<Entry> {
    public let capacity: Int
    public private(set) var entries: [Entry] = []
    /// Requests pushed out, unanswered, to make room.
    public private(set) var evicted = 0

    public init(capacity: Int) {
        self.capacity = capacity
    }

    public var isEmpty: Bool { entries.isEmpty }

    /// Adds a request. When full, the oldest makes room and is handed back (never answered).
    public mutating func append(_ entry: Entry) -> Entry? {
        var oldest: Entry? = nil
        if entries.count >= capacity, !entries.isEmpty {
            oldest = entries.removeFirst()
            evicted += 1
        }
        if entries.capacity == 0 { entries.reserveCapacity(4) }
        entries.append(entry)
        return oldest
    }

    /// The oldest request that `matches`, taken out (left in place when `keep`: an answer that
    /// others follow, as a confirmation before its termination).
    public mutating func take(keep: Bool = false, where matches: (Entry) -> Bool) -> Entry? {
        guard let index = entries.firstIndex(where: matches) else { return nil }
        return keep ? entries[index] : entries.remove(at: index)
    }

    /// Everything still waiting, oldest first, and the list emptied (the flow ends).
    public mutating func drain() -> [Entry] {
        defer { entries.removeAll() }
        return entries
    }

    public var heapBytes: Int { entries.capacity * MemoryLayout<Entry>.stride }
}
