/// A set of closed integer ranges (register addresses, point indexes, byte offsets), kept sorted
/// and merged: `[0-9, 100-119]`. Bounded: past `capacity` ranges, the two closest are joined
/// (the set grows to cover the gap, never forgets an address it has seen).
public struct AddressRanges: Sendable, Equatable, CustomStringConvertible {
    public static let capacity = 64
    public private(set) var ranges: [ClosedRange<UInt32>] = []

    public init() {}
    public init(_ ranges: [ClosedRange<UInt32>]) { for range in ranges { insert(range) } }

    public var isEmpty: Bool { ranges.isEmpty }

    public mutating func insert(_ range: ClosedRange<UInt32>) {
        var low = range.lowerBound
        var high = range.upperBound
        var kept: [ClosedRange<UInt32>] = []
        kept.reserveCapacity(ranges.count + 1)
        var placed = false
        for existing in ranges {
            // Overlapping or adjacent ranges merge.
            if existing.upperBound &+ 1 < low && existing.upperBound != .max {
                kept.append(existing)
            } else if high != .max && high &+ 1 < existing.lowerBound {
                if !placed { kept.append(low...high); placed = true }
                kept.append(existing)
            } else {
                low = min(low, existing.lowerBound)
                high = max(high, existing.upperBound)
            }
        }
        if !placed { kept.append(low...high) }
        ranges = kept
        while ranges.count > AddressRanges.capacity { joinClosest() }
    }

    public mutating func formUnion(_ other: AddressRanges) {
        for range in other.ranges { insert(range) }
    }

    /// Whether every address of `range` is in the set.
    public func covers(_ range: ClosedRange<UInt32>) -> Bool {
        // Ranges are disjoint and not adjacent, so one of them must hold all of it.
        var low = 0
        var high = ranges.count - 1
        while low <= high {
            let middle = (low + high) / 2
            let candidate = ranges[middle]
            if candidate.upperBound < range.lowerBound { low = middle + 1 }
            else if candidate.lowerBound > range.lowerBound { high = middle - 1 }
            else { return candidate.upperBound >= range.upperBound }
        }
        return false
    }

    private mutating func joinClosest() {
        var best = 0
        var bestGap = UInt32.max
        for index in 0..<(ranges.count - 1) {
            let gap = ranges[index + 1].lowerBound - ranges[index].upperBound
            if gap < bestGap { bestGap = gap; best = index }
        }
        ranges[best] = ranges[best].lowerBound...ranges[best + 1].upperBound
        ranges.remove(at: best + 1)
    }

    /// `0-9, 100` as written in the baseline.
    public var description: String { ranges.map(AddressRanges.text).joined(separator: ", ") }

    public static func text(_ range: ClosedRange<UInt32>) -> String {
        range.lowerBound == range.upperBound ? "\(range.lowerBound)" : "\(range.lowerBound)-\(range.upperBound)"
    }

    /// Parses `100` or `100-119`.
    public static func parseRange(_ text: Substring) -> ClosedRange<UInt32>? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        if parts.count == 1, let value = UInt32(parts[0]) { return value...value }
        if parts.count == 2, let low = UInt32(parts[0]), let high = UInt32(parts[1]), low <= high { return low...high }
        return nil
    }
}
