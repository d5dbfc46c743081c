import SpanwatchProtocols
import SpanwatchFlow
import SpanwatchWire
import Testing

/// Records what reassembly delivers.
struct RecordingReceiver: TCPStreamReceiver {
    var data: [UInt8] = []
    var gaps: [UInt32] = []
    var overlaps: [(UInt32, Int)] = []
    mutating func streamData(_ bytes: RawSpan) { data += bytes.copyBytes() }
    mutating func streamGap(length: UInt32) { gaps.append(length) }
    mutating func streamOverlapDifferent(sequence: UInt32, length: Int) { overlaps.append((sequence, length)) }
}

extension TCPStream {
    mutating func feed(_ sequence: UInt32, _ bytes: [UInt8], _ receiver: inout RecordingReceiver, limits: ReassemblyLimits = ReassemblyLimits()) {
        let memory = ReassemblyMemory()
        bytes.withUnsafeBytes { receive(sequence: sequence, payload: $0.bytes, limits: limits, memory: memory, receiver: &receiver) }
    }
}

@Suite struct ReassemblyTests {
    @Test func inOrderAndOutOfOrderDeliverEachByteOnce() {
        var stream = TCPStream()
        var r = RecordingReceiver()
        stream.synchronize(synSequence: 99)
        stream.feed(100, [1, 2, 3], &r)
        stream.feed(106, [7, 8], &r)     // ahead: held
        #expect(r.data == [1, 2, 3])
        stream.feed(103, [4, 5, 6], &r)  // fills the hole
        #expect(r.data == [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(r.gaps.isEmpty && r.overlaps.isEmpty)
    }

    @Test func sequenceWraparound() {
        var stream = TCPStream()
        var r = RecordingReceiver()
        stream.synchronize(synSequence: UInt32.max - 2)  // data starts at max - 1
        stream.feed(UInt32.max - 1, [1, 2], &r)
        stream.feed(2, [5], &r)           // after the wrap, ahead of the next byte (0)
        stream.feed(0, [3, 4], &r)
        #expect(r.data == [1, 2, 3, 4, 5])
    }

    @Test func identicalRetransmissionIsSilentButDifferentDataIsReportedAndFirstWins() {
        var stream = TCPStream()
        var r = RecordingReceiver()
        stream.feed(1000, [1, 2, 3, 4], &r)  // midstream pick-up
        #expect(stream.midstream)
        stream.feed(1000, [1, 2, 3, 4], &r)
        #expect(r.overlaps.isEmpty && stream.retransmissions == 1)
        stream.feed(1002, [9, 9, 5, 6], &r)  // overlaps 2 old bytes with different data, adds 2 new
        #expect(r.overlaps.count == 1 && r.overlaps.first?.0 == 1002 && r.overlaps.first?.1 == 2)
        #expect(r.data == [1, 2, 3, 4, 5, 6])
    }

    @Test func overlapBetweenHeldSegmentsFirstArrivalWins() {
        var stream = TCPStream()
        var r = RecordingReceiver()
        stream.synchronize(synSequence: 0)
        stream.feed(3, [30, 40], &r)
        stream.feed(3, [99, 99], &r)  // same bytes again, different data, still held
        stream.feed(1, [10, 20], &r)
        #expect(r.data == [10, 20, 30, 40])
        #expect(r.overlaps.count == 1)
    }

    @Test func holeAcknowledgedByPeerBecomesAGap() {
        var stream = TCPStream()
        var r = RecordingReceiver()
        let memory = ReassemblyMemory()
        stream.synchronize(synSequence: 0)
        stream.feed(1, [1, 2], &r)
        stream.feed(10, [9], &r)
        #expect(r.gaps.isEmpty)
        stream.noteAcknowledgement(11, limits: ReassemblyLimits(), memory: memory, receiver: &r)
        #expect(r.gaps == [7])
        #expect(r.data == [1, 2, 9])
        #expect(stream.gaps == 1 && stream.gapBytes == 7)
    }

    @Test func pendingLimitForcesAGap() {
        var limits = ReassemblyLimits()
        limits.maximumPendingSegments = 2
        var stream = TCPStream()
        var r = RecordingReceiver()
        stream.synchronize(synSequence: 0)
        stream.feed(10, [1], &r, limits: limits)
        stream.feed(11, [2], &r, limits: limits)
        #expect(r.gaps.isEmpty)
        stream.feed(12, [3], &r, limits: limits)
        #expect(r.gaps == [9])
        #expect(r.data == [1, 2, 3])
    }

    @Test func flushDeliversWhatWaitsBehindAHole() {
        var stream = TCPStream()
        var r = RecordingReceiver()
        let memory = ReassemblyMemory()
        stream.synchronize(synSequence: 0)
        stream.feed(5, [5], &r)
        stream.flush(limits: ReassemblyLimits(), memory: memory, receiver: &r)
        #expect(r.gaps == [4] && r.data == [5])
    }
}

@Suite struct FramingDriverTests {
    static let a: [UInt8] = [0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 1]
    static let b: [UInt8] = [0, 2, 0, 0, 0, 6, 1, 3, 0, 9, 0, 1]

    func run(_ segments: [[UInt8]]) -> (frames: [[UInt8]], invalid: [String]) {
        var driver = StreamFramingDriver<ModbusTCP>()
        var frames = [[UInt8]]()
        var invalid = [String]()
        for segment in segments {
            segment.withUnsafeBytes { raw in
                driver.feed(raw.bytes, onFrame: { frames.append($0.copyBytes()) }, onInvalid: { invalid.append($0) })
            }
        }
        return (frames, invalid)
    }

    @Test func onePDUAcrossEverySplitPoint() {
        for split in 1..<Self.a.count {
            let result = run([Array(Self.a[0..<split]), Array(Self.a[split...])])
            #expect(result.frames == [Self.a], "split at \(split)")
        }
    }

    @Test func onePDUByteByByte() {
        #expect(run(Self.a.map { [$0] }).frames == [Self.a])
    }

    @Test func twoPDUsInOneSegmentAndATailIntoTheNext() {
        let joined = Self.a + Self.b + Self.a
        let result = run([Array(joined[0..<30]), Array(joined[30...])])
        #expect(result.frames == [Self.a, Self.b, Self.a])
    }

    @Test func invalidHeaderSkipsTheSegmentThenResynchronises() {
        let bad: [UInt8] = [0, 1, 0, 7, 0, 6, 1, 3, 0, 0, 0, 1]  // protocol id 7
        let result = run([bad + Self.a, Self.b])
        #expect(result.invalid == ["modbus.invalid_protocol_id"])
        #expect(result.frames == [Self.b])
    }

    /// Capture loss as Zeek estimates it: an acknowledgement of bytes the sensor never saw.
    @Test func acknowledgementsOfUnseenBytesEstimateCaptureLoss() {
        var stream = TCPStream()
        var r = RecordingReceiver()
        let memory = ReassemblyMemory()
        stream.synchronize(synSequence: 99)
        stream.feed(100, Array(repeating: 1, count: 10), &r)
        stream.noteAcknowledgement(110, limits: ReassemblyLimits(), memory: memory, receiver: &r)  // all seen
        #expect(stream.acknowledgementsSeen == 1 && stream.acknowledgedUnseen == 0)
        stream.noteAcknowledgement(130, limits: ReassemblyLimits(), memory: memory, receiver: &r)  // 20 bytes went by unseen
        #expect(stream.acknowledgedUnseen == 1 && stream.acknowledgedUnseenBytes == 20)
        stream.noteAcknowledgement(130, limits: ReassemblyLimits(), memory: memory, receiver: &r)  // a duplicate ACK: nothing new
        #expect(stream.acknowledgementsSeen == 2 && stream.acknowledgedUnseenBytes == 20)
        stream.noteAcknowledgement(140, limits: ReassemblyLimits(), memory: memory, receiver: &r)  // counted from the last ACK, not again
        #expect(stream.acknowledgedUnseen == 2 && stream.acknowledgedUnseenBytes == 30)
        var closing = TCPStream()
        closing.synchronize(synSequence: 0)
        closing.feed(1, [1, 2, 3], &r)
        closing.noteAcknowledgement(5, limits: ReassemblyLimits(), memory: memory, receiver: &r)  // data + FIN: not a loss
        #expect(closing.acknowledgedUnseen == 0)
    }
}

