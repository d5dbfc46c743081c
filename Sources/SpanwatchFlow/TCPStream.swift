import SpanwatchWire

/// Reassembly limits (per direction unless said otherwise).
public struct ReassemblyLimits: Sendable {
    /// Out-of-order segments held while waiting for a hole to fill.
    public var maximumPendingSegments = 64
    /// Bytes held out of order; past this the hole is declared a gap.
    public var maximumPendingBytes = 64 * 1024
    /// Already-delivered bytes kept to compare retransmissions and overlaps against.
    public var retainedBytes = 1024
    public init() {}
}

/// Memory used by reassembly across all flows (the flow table's memcap counts it).
public final class ReassemblyMemory {
    public internal(set) var bytes = 0
    public init() {}
}

/// What reassembly tells the application layer and the anomaly stream.
public protocol TCPStreamReceiver {
    /// In-order bytes, each byte exactly once.
    mutating func streamData(_ bytes: RawSpan)
    /// Bytes that will never arrive: the parser must resynchronise.
    mutating func streamGap(length: UInt32)
    /// A retransmission or overlap whose bytes differ from what was delivered (first wins).
    mutating func streamOverlapDifferent(sequence: UInt32, length: Int)
}

/// One direction of a TCP connection: delivers bytes in order, once, to a receiver.
///
/// Policy (Zeek/Suricata/Snort 3 agree): the first copy of a byte wins; an overlap or
/// retransmission carrying different bytes raises `stream.reassembly_overlap_different_data`.
/// Out-of-order segments wait in a bounded list; a hole is declared a gap when the peer
/// acknowledges past it, when the list is full, or when the flow ends. Sequence numbers
/// compare modulo 2^32, so wraparound is ordinary. A stream seen without its SYN starts at the
/// first segment (midstream pick-up).
public struct TCPStream {
    struct PendingSegment {
        var sequence: UInt32
        var bytes: [UInt8]
    }

    public private(set) var initialized = false
    public private(set) var midstream = false
    public private(set) var nextSequence: UInt32 = 0
    var pending: [PendingSegment] = []
    var pendingBytes = 0
    var retained: [UInt8] = []
    var retainedHead = 0
    var retainedCount = 0
    /// The highest sequence number the peer has acknowledged (bytes before it will not be resent).
    var peerAcknowledged: UInt32? = nil

    // Counters (merged into the engine's totals when the flow ends).
    public private(set) var gaps = 0
    public private(set) var gapBytes: UInt64 = 0
    public private(set) var retransmissions = 0
    public private(set) var overlapsDifferent = 0
    public private(set) var deliveredBytes: UInt64 = 0
    /// Capture-loss estimate (Zeek's capture_loss): acknowledgements that moved forward, and how
    /// many of them acknowledged bytes this sensor never saw (lost upstream: the SPAN port, the
    /// switch, the kernel), with the bytes. A FIN's one sequence number is not data.
    public private(set) var acknowledgementsSeen = 0
    public private(set) var acknowledgedUnseen = 0
    public private(set) var acknowledgedUnseenBytes: UInt64 = 0
    var lossCounts: (acknowledgements: Int, unseen: Int, unseenBytes: UInt64) {
        (acknowledgementsSeen, acknowledgedUnseen, acknowledgedUnseenBytes)
    }

    public init() {}

    /// Memory this stream holds beyond its fixed size.
    public var heapBytes: Int { retained.capacity + pendingBytes + pending.capacity * MemoryLayout<PendingSegment>.stride }

    /// Wrap-safe `a - b` in sequence space.
    @inline(__always)
    static func distance(_ a: UInt32, from b: UInt32) -> Int64 { Int64(Int32(bitPattern: a &- b)) }

    public mutating func synchronize(synSequence: UInt32) {
        if !initialized || deliveredBytes == 0 {
            nextSequence = synSequence &+ 1
            initialized = true
            midstream = false
        }
    }

    /// A data segment from this direction.
    public mutating func receive<R: TCPStreamReceiver>(sequence: UInt32, payload: RawSpan, limits: ReassemblyLimits,
                                                      memory: ReassemblyMemory, receiver: inout R) {
        let length = payload.byteCount
        guard length > 0 else { return }
        if !initialized {
            initialized = true
            midstream = true
            nextSequence = sequence
        }
        let offset = TCPStream.distance(sequence, from: nextSequence)
        if offset <= 0 {
            acceptAtOrBefore(sequence: sequence, payload: payload, offset: offset, limits: limits, memory: memory, receiver: &receiver)
            drainPending(limits: limits, memory: memory, receiver: &receiver)
        } else {
            insertPending(sequence: sequence, payload: payload, limits: limits, memory: memory)
            // The peer already acknowledged the hole: the bytes in it will never be seen.
            let holeAcknowledged = peerAcknowledged.map { TCPStream.distance($0, from: sequence) >= 0 } ?? false
            if holeAcknowledged || pending.count > limits.maximumPendingSegments || pendingBytes > limits.maximumPendingBytes {
                declareGapToFirstPending(memory: memory, limits: limits, receiver: &receiver)
            }
        }
    }

    /// The peer acknowledged up to `ack`: a hole before it will never be filled.
    public mutating func noteAcknowledgement<R: TCPStreamReceiver>(_ ack: UInt32, limits: ReassemblyLimits,
                                                                   memory: ReassemblyMemory, receiver: inout R) {
        guard initialized else { return }
        let advanced = peerAcknowledged.map({ TCPStream.distance(ack, from: $0) > 0 }) ?? true
        if advanced {
            acknowledgementsSeen += 1
            // Past everything seen (delivered or held): those bytes went by without us.
            var seenEnd = nextSequence
            if let last = pending.last { seenEnd = last.sequence &+ UInt32(last.bytes.count) }
            let floor = peerAcknowledged.map { TCPStream.distance($0, from: seenEnd) > 0 ? $0 : seenEnd } ?? seenEnd
            let unseen = TCPStream.distance(ack, from: floor)
            if unseen > 1 {
                acknowledgedUnseen += 1
                acknowledgedUnseenBytes += UInt64(unseen)
            }
            peerAcknowledged = ack
        }
        guard let first = pending.first else { return }
        if TCPStream.distance(ack, from: first.sequence) >= 0 {
            declareGapToFirstPending(memory: memory, limits: limits, receiver: &receiver)
        }
    }

    /// The flow ends: whatever waits behind a hole is delivered after a gap.
    public mutating func flush<R: TCPStreamReceiver>(limits: ReassemblyLimits, memory: ReassemblyMemory, receiver: inout R) {
        while !pending.isEmpty {
            declareGapToFirstPending(memory: memory, limits: limits, receiver: &receiver)
        }
    }

    /// Frees buffers (the flow is being recycled).
    public mutating func release(memory: ReassemblyMemory) {
        memory.bytes -= heapBytes
        self = TCPStream()
    }

    // MARK: - Internals

    private mutating func acceptAtOrBefore<R: TCPStreamReceiver>(sequence: UInt32, payload: RawSpan, offset: Int64,
                                                                limits: ReassemblyLimits, memory: ReassemblyMemory, receiver: inout R) {
        let length = payload.byteCount
        let old = Int(min(-offset, Int64(length)))
        if old > 0 {
            retransmissions += 1
            if differsFromRetained(sequence: sequence, bytes: payload.extracting(0..<old)) {
                overlapsDifferent += 1
                receiver.streamOverlapDifferent(sequence: sequence, length: old)
            }
        }
        if length > old {
            let fresh = payload.extracting(old..<length)
            deliver(fresh, limits: limits, memory: memory, receiver: &receiver)
        }
    }

    private mutating func deliver<R: TCPStreamReceiver>(_ bytes: RawSpan, limits: ReassemblyLimits,
                                                       memory: ReassemblyMemory, receiver: inout R) {
        retain(bytes, limits: limits, memory: memory)
        nextSequence = nextSequence &+ UInt32(truncatingIfNeeded: bytes.byteCount)
        deliveredBytes &+= UInt64(bytes.byteCount)
        receiver.streamData(bytes)
    }

    private mutating func drainPending<R: TCPStreamReceiver>(limits: ReassemblyLimits, memory: ReassemblyMemory, receiver: inout R) {
        while let first = pending.first, TCPStream.distance(first.sequence, from: nextSequence) <= 0 {
            pending.removeFirst()
            pendingBytes -= first.bytes.count
            memory.bytes -= first.bytes.count
            let offset = TCPStream.distance(first.sequence, from: nextSequence)
            first.bytes.withUnsafeBytes { raw in
                acceptAtOrBefore(sequence: first.sequence, payload: raw.bytes, offset: offset, limits: limits, memory: memory, receiver: &receiver)
            }
        }
    }

    private mutating func declareGapToFirstPending<R: TCPStreamReceiver>(memory: ReassemblyMemory, limits: ReassemblyLimits, receiver: inout R) {
        guard let first = pending.first else { return }
        let missing = UInt32(truncatingIfNeeded: max(0, TCPStream.distance(first.sequence, from: nextSequence)))
        if missing > 0 {
            gaps += 1
            gapBytes &+= UInt64(missing)
            nextSequence = first.sequence
            retainedCount = 0
            receiver.streamGap(length: missing)
        }
        drainPending(limits: limits, memory: memory, receiver: &receiver)
    }

    private mutating func insertPending(sequence: UInt32, payload: RawSpan, limits: ReassemblyLimits, memory: ReassemblyMemory) {
        // Stable order by sequence: an equal sequence goes after the one already held, so the
        // first copy to arrive is delivered first and wins.
        var index = pending.count
        while index > 0 && TCPStream.distance(pending[index - 1].sequence, from: sequence) > 0 { index -= 1 }
        let before = pending.capacity
        pending.insert(PendingSegment(sequence: sequence, bytes: payload.copyBytes()), at: index)
        pendingBytes += payload.byteCount
        memory.bytes += payload.byteCount + (pending.capacity - before) * MemoryLayout<PendingSegment>.stride
    }

    private mutating func retain(_ bytes: RawSpan, limits: ReassemblyLimits, memory: ReassemblyMemory) {
        let capacity = limits.retainedBytes
        guard capacity > 0 else { return }
        if retained.isEmpty {
            retained = [UInt8](repeating: 0, count: capacity)
            memory.bytes += retained.capacity
        }
        let count = bytes.byteCount
        bytes.withUnsafeBytes { source in
            retained.withUnsafeMutableBytes { ring in
                // Only the last `capacity` bytes matter.
                let skip = max(0, count - capacity)
                var head = retainedHead
                var i = skip
                while i < count {
                    let chunk = min(count - i, capacity - head)
                    ring.baseAddress!.advanced(by: head).copyMemory(from: source.baseAddress!.advanced(by: i), byteCount: chunk)
                    head = (head + chunk) % capacity
                    i += chunk
                }
                retainedHead = head
            }
        }
        retainedCount = min(capacity, retainedCount + count)
    }

    /// Compares bytes that start at `sequence` (all before `nextSequence`) with what was delivered.
    private func differsFromRetained(sequence: UInt32, bytes: RawSpan) -> Bool {
        let back = Int(-TCPStream.distance(sequence, from: nextSequence))  // bytes from `sequence` to nextSequence
        guard back > 0, retainedCount > 0 else { return false }
        let capacity = retained.count
        var differs = false
        for i in 0..<bytes.byteCount {
            let distanceBack = back - i  // how far before nextSequence this byte is
            guard distanceBack <= retainedCount else { continue }  // too old to compare
            let index = ((retainedHead - distanceBack) % capacity + capacity) % capacity
            if retained[index] != bytes.u8(i) { differs = true; break }
        }
        return differs
    }
}
