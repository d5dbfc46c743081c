import SpanwatchWire

/// Cuts PDUs out of one direction of a byte stream for any `StreamFramer`.
///
/// Bytes that arrive while no PDU is pending are framed straight from the packet (zero
/// copy). Only the tail of a PDU that spans segments is copied into a buffer, bounded by the
/// protocol's maximum frame length. When the framer rejects bytes, the driver reports it,
/// drops what it holds and the rest of the segment, and resynchronises on the next segment
/// (OT protocols put PDUs at segment starts). A gap does the same.
public struct StreamFramingDriver<Framer: StreamFramer> {
    var buffer: [UInt8] = []
    /// Set after an invalid frame or a gap: bytes are skipped until the next segment.
    var skippingRestOfSegment = false
    public private(set) var framesCut = 0
    public private(set) var invalidFrames = 0

    public init() {}

    public var bufferedBytes: Int { buffer.count }
    public var heapBytes: Int { buffer.capacity }

    /// Feeds in-order bytes; calls `onFrame` for each whole PDU, `onInvalid` for bytes that cannot start one.
    public mutating func feed(_ bytes: RawSpan, onFrame: (RawSpan) -> Void, onInvalid: (String) -> Void) {
        skippingRestOfSegment = false
        if buffer.isEmpty {
            let consumed = frameAll(bytes, onFrame: onFrame, onInvalid: onInvalid)
            if consumed < bytes.byteCount && !skippingRestOfSegment {
                buffer.appendBytes(of: bytes.extracting(consumed..<bytes.byteCount))
            }
            return
        }
        // Complete the pending PDU from the buffer, then go on from the packet itself.
        var used = 0
        while used < bytes.byteCount {
            let wanted: Int
            switch buffer.withUnsafeBytes({ Framer.probeFrame($0.bytes) }) {
            case .complete(let length):
                buffer.withUnsafeBytes { onFrame($0.bytes.extracting(0..<length)) }
                framesCut += 1
                buffer.removeFirst(length)
                if buffer.isEmpty {
                    let consumed = frameAll(bytes.extracting(used..<bytes.byteCount), onFrame: onFrame, onInvalid: onInvalid)
                    if used + consumed < bytes.byteCount && !skippingRestOfSegment {
                        buffer.appendBytes(of: bytes.extracting((used + consumed)..<bytes.byteCount))
                    }
                    return
                }
                continue
            case .needMore(let total):
                guard total <= Framer.maximumFrameLength else {
                    reject("\(Framer.self)".lowercased() + ".frame_too_long", onInvalid: onInvalid)
                    return
                }
                wanted = total - buffer.count
            case .invalid(let anomaly):
                reject(anomaly, onInvalid: onInvalid)
                return
            }
            let take = min(wanted, bytes.byteCount - used)
            buffer.appendBytes(of: bytes.extracting(used..<(used + take)))
            used += take
        }
        // The buffer may now hold whole PDUs.
        while !buffer.isEmpty {
            switch buffer.withUnsafeBytes({ Framer.probeFrame($0.bytes) }) {
            case .complete(let length):
                buffer.withUnsafeBytes { onFrame($0.bytes.extracting(0..<length)) }
                framesCut += 1
                buffer.removeFirst(length)
            case .needMore:
                return
            case .invalid(let anomaly):
                reject(anomaly, onInvalid: onInvalid)
                return
            }
        }
    }

    /// Bytes were lost: drop the partial PDU and resynchronise at the next segment.
    public mutating func gap() {
        buffer.removeAll(keepingCapacity: true)
        skippingRestOfSegment = true
    }

    /// Frames every whole PDU at the front of `bytes`; returns the bytes consumed.
    private mutating func frameAll(_ bytes: RawSpan, onFrame: (RawSpan) -> Void, onInvalid: (String) -> Void) -> Int {
        var cursor = 0
        while cursor < bytes.byteCount {
            let rest = bytes.extracting(cursor..<bytes.byteCount)
            switch Framer.probeFrame(rest) {
            case .complete(let length):
                onFrame(rest.extracting(0..<length))
                framesCut += 1
                cursor += length
            case .needMore(let total):
                if total > Framer.maximumFrameLength {
                    reject("\(Framer.self)".lowercased() + ".frame_too_long", onInvalid: onInvalid)
                }
                return cursor
            case .invalid(let anomaly):
                reject(anomaly, onInvalid: onInvalid)
                return cursor
            }
        }
        return cursor
    }

    private mutating func reject(_ anomaly: String, onInvalid: (String) -> Void) {
        invalidFrames += 1
        buffer.removeAll(keepingCapacity: true)
        skippingRestOfSegment = true
        onInvalid(anomaly)
    }
}
