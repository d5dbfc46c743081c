import SpanwatchProtocols
import SpanwatchOutput
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The spool between the engine and the syslog sender: records come back as written, in order;
/// delivery progress survives a restart; a torn tail left by a crash is cut; when full, events
/// go before alerts and every drop is counted.
@Suite(.serialized) struct SpoolTests {
    static func directory(_ name: String) -> String {
        let path = "/tmp/spanwatch-spool-test-\(getpid())-\(name)"
        removeDirectory(path)
        return path
    }

    static func removeDirectory(_ path: String) {
        guard let dir = opendir(path) else { return }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { unlink(path + "/" + name) }
        }
        closedir(dir)
        rmdir(path)
    }

    static func record(_ index: Int) -> [UInt8] { Array("{\"n\":\(index),\"pad\":\"\(String(repeating: "x", count: index % 50))\"}".utf8) }

    static func append(_ spool: Spool, _ bytes: [UInt8], _ recordClass: Spool.RecordClass = .other) -> Bool {
        bytes.withUnsafeBytes { spool.append($0, class: recordClass) }
    }

    @Test func recordsComeBackInOrderAndProgressSurvivesARestart() throws {
        let path = Self.directory("order")
        defer { Self.removeDirectory(path) }
        var spool: Spool? = try Spool(directory: path, maximumBytes: 64 << 20, segmentBytes: 4096)
        for index in 0..<1000 { #expect(Self.append(spool!, Self.record(index))) }
        spool!.flush()  // records are gathered and written in blocks
        let start = spool!.committed
        var cursor = start
        var seen: [[UInt8]] = []
        while true {
            let batch = spool!.read(from: cursor, maximumBytes: 10_000)
            if batch.isEmpty { break }
            seen += batch.map(\.payload)
            cursor = batch.last!.next
        }
        #expect(seen == (0..<1000).map(Self.record))
        #expect(cursor.segment > 10)  // rotated across many 4 KiB segments
        // Commit halfway (the cursor after record 499), restart: delivery resumes there.
        let all = spool!.read(from: start, maximumBytes: 1 << 30)
        #expect(all.count == 1000)
        spool = nil
        spool = try Spool(directory: path, maximumBytes: 64 << 20, segmentBytes: 4096)
        spool!.commit(all[499].next)
        spool = nil
        spool = try Spool(directory: path, maximumBytes: 64 << 20, segmentBytes: 4096)
        let rest = spool!.read(from: spool!.committed, maximumBytes: 1 << 30)
        #expect(rest.map(\.payload) == (500..<1000).map(Self.record))
        // Delivered segments are deleted: what is on disk is what is left.
        #expect(spool!.pendingBytes == rest.reduce(0) { $0 + $1.payload.count + 9 })
    }

    @Test func aTornTailIsCutOnReopen() throws {
        let path = Self.directory("torn")
        defer { Self.removeDirectory(path) }
        var spool: Spool? = try Spool(directory: path, maximumBytes: 1 << 20)
        for index in 0..<10 { #expect(Self.append(spool!, Self.record(index))) }
        spool = nil
        // kill -9 in the middle of a write: half a header and payload at the end of the segment.
        let segment = path + "/00000000000000000000.seg"
        let file = open(segment, O_WRONLY | O_APPEND)
        let torn: [UInt8] = [40, 0, 0, 0, 1, 0xAA, 0xBB, 0xCC, 0xDD, 0x7B, 0x22]
        _ = torn.withUnsafeBytes { write(file, $0.baseAddress, $0.count) }
        close(file)
        spool = try Spool(directory: path, maximumBytes: 1 << 20)
        #expect(spool!.counters.tornRecords == 1)
        #expect(Self.append(spool!, Self.record(10)))
        spool!.flush()
        let all = spool!.read(from: spool!.committed, maximumBytes: 1 << 20)
        #expect(all.map(\.payload) == (0...10).map(Self.record))
        // A record whose CRC does not match is cut the same way.
        spool = nil
        let corrupt = open(segment, O_WRONLY)
        var flipped: UInt8 = 0x58
        pwrite(corrupt, &flipped, 1, off_t(all[9].next.offset - 3))
        close(corrupt)
        spool = try Spool(directory: path, maximumBytes: 1 << 20)
        #expect(spool!.read(from: spool!.committed, maximumBytes: 1 << 20).map(\.payload) == (0...8).map(Self.record))
    }

    @Test func whenFullEventsGoFirstThenAlertsAndEveryDropIsCounted() throws {
        let path = Self.directory("full")
        defer { Self.removeDirectory(path) }
        let spool = try Spool(directory: path, maximumBytes: 10_000)
        let event = [UInt8](repeating: UInt8(ascii: "e"), count: 91)  // 100 bytes with the header
        let alert = [UInt8](repeating: UInt8(ascii: "a"), count: 91)
        var kept = 0
        for _ in 0..<150 where Self.append(spool, event) { kept += 1 }
        #expect(kept == 80 && spool.counters.droppedOther == 70)  // events may fill 80 %
        // Alerts still fit, into the 20 % kept for them, then they are dropped too.
        var alertsKept = 0
        for _ in 0..<30 where Self.append(spool, alert, .alert) { alertsKept += 1 }
        #expect(alertsKept == 20 && spool.counters.droppedAlerts == 10)
        #expect(spool.takeLoss().map { [$0.alerts, $0.other] } == [10, 70])
        #expect(spool.takeLoss() == nil)
        // Delivery frees room: events are taken again.
        let batch = spool.read(from: spool.committed, maximumBytes: 5000)
        spool.commit(batch.last!.next)
        #expect(Self.append(spool, event))
        #expect(spool.counters.bytesOnDisk <= 10_000)
    }

    @Test func aRecordLargerThanTheReadBudgetStillComesBack() throws {
        let path = Self.directory("large")
        defer { Self.removeDirectory(path) }
        let spool = try Spool(directory: path, maximumBytes: 8 << 20)
        let large = [UInt8](repeating: UInt8(ascii: "L"), count: 300_000)
        #expect(Self.append(spool, Self.record(1)))
        #expect(Self.append(spool, large, .alert))
        #expect(Self.append(spool, Self.record(2)))
        spool.flush()
        var cursor = spool.committed
        var seen: [[UInt8]] = []
        for _ in 0..<10 {
            let batch = spool.read(from: cursor, maximumBytes: 64 * 1024)
            if batch.isEmpty { break }
            seen += batch.map(\.payload)
            cursor = batch.last!.next
        }
        #expect(seen == [Self.record(1), large, Self.record(2)])
    }

    /// A clock the test moves by hand.
    final class ManualClock: @unchecked Sendable {
        var now = 1000.0
    }

    /// The age of the oldest undelivered record, to within a second: it grows while the
    /// receiver is away, falls as delivery catches up, and is zero when nothing waits; with many
    /// seconds of backlog the marks stay bounded and the age stays an upper bound.
    @Test func theOldestUndeliveredRecordHasAnAge() throws {
        let path = Self.directory("age")
        defer { Self.removeDirectory(path) }
        let clock = ManualClock()
        let spool = try Spool(directory: path, maximumBytes: 64 << 20, segmentBytes: 4096, clock: { clock.now })
        #expect(spool.oldestPendingAge == 0)
        // One record per half second for 100 s (several segments).
        for index in 0..<200 {
            #expect(Self.append(spool, Self.record(index)))
            clock.now += 0.5
        }
        spool.flush()
        #expect(spool.oldestPendingAge == 100)
        let records = spool.read(from: spool.committed, maximumBytes: 1 << 30)
        #expect(records.count == 200)
        // Records 0..<60 delivered: the oldest waiting one (60) was appended 30 s in, 70 s ago.
        spool.commit(records[59].next)
        #expect(spool.oldestPendingAge == 70)
        // Record 61 delivered too: it is still dated by the mark of its second (60 at 30 s).
        spool.commit(records[60].next)
        #expect(spool.oldestPendingAge == 70)
        spool.commit(records[61].next)
        #expect(spool.oldestPendingAge == 69)
        spool.commit(records[199].next)
        #expect(spool.oldestPendingAge == 0)
        // A backlog of many hours: the marks are thinned, the age never under-states.
        let start = clock.now
        for index in 0..<(3 * Spool.maximumMarks) {
            #expect(Self.append(spool, Self.record(index)))
            clock.now += 1
        }
        let age = spool.oldestPendingAge
        #expect(age == clock.now - start)
        spool.flush()
        let backlog = spool.read(from: spool.committed, maximumBytes: 1 << 30)
        spool.commit(backlog[backlog.count / 2].next)
        let half = spool.oldestPendingAge
        #expect(half >= clock.now - (start + Double(backlog.count / 2 + 1)) && half <= clock.now - start)
    }

    /// Root may mount a small tmpfs to fill; elsewhere the disk-full test is skipped.
    static let canMountTmpfs: Bool = {
        guard getuid() == 0 else { return false }
        let probe = "/tmp/spanwatch-spool-probe-\(getpid())"
        mkdir(probe, 0o700)
        defer { rmdir(probe) }
        guard mount("tmpfs", probe, "tmpfs", 0, "size=64k") == 0 else { return false }  // no CAP_SYS_ADMIN (a container)
        umount(probe)
        return true
    }()

    /// The disk fills before the spool's cap: refused events are counted as drops, a partly
    /// written block is cut (nothing after it is misread), a refused alert waits in memory, and
    /// once delivery frees space, the held alert is written first and appends work again.
    @Test(.enabled(if: canMountTmpfs, "needs root with CAP_SYS_ADMIN to mount a small tmpfs"))
    func aFullDiskDropsCleanlyAndRecovers() throws {
        let path = Self.directory("enospc")
        mkdir(path, 0o700)
        defer { Self.removeDirectory(path) }
        guard mount("tmpfs", path, "tmpfs", 0, "size=128k") == 0 else {
            Issue.record("mount tmpfs: \(String(cString: strerror(errno)))")
            return
        }
        defer { umount(path) }
        let spool = try Spool(directory: path, maximumBytes: 64 << 20, segmentBytes: 1 << 20)
        // Records of about 2.5 KB: pages are 4 KiB, so the write that meets the end of the space
        // is a short one (part of the record reaches the file).
        func large(_ index: Int) -> [UInt8] { Self.record(index) + Array(repeating: UInt8(ascii: "y"), count: 2500) }
        for index in 0..<200 {  // about 500 KB into 128 KiB, written in 64 KiB blocks
            #expect(Self.append(spool, large(index)))  // gathered: the disk answers when the block is written
        }
        spool.flush()
        let kept = Int(spool.counters.appended)
        let refused = spool.counters.writeFailures
        #expect(kept >= 20 && refused >= 100 && kept + Int(refused) == 200, "kept \(kept), refused \(refused)")
        #expect(spool.counters.droppedOther == refused)
        // The part of a refused block that reached the file was cut: the space it took is free
        // again (a small alert fits), and the next block follows the last whole record.
        #expect(Self.append(spool, Self.record(7777), .alert))
        // What was kept reads back whole, valid and in order, although blocks were refused
        // between kept ones.
        let stored = spool.read(from: spool.committed, maximumBytes: 1 << 30)
        let indices = stored.dropLast().compactMap { record in (0..<200).first { large($0) == record.payload } }
        #expect(stored.count == kept + 1 && indices.count == kept && indices == indices.sorted())
        #expect(stored.last?.payload == Self.record(7777))
        #expect(spool.counters.corruptRecords == 0)
        // Everything delivered as it comes until the disk refuses again: the refused alert
        // waits in memory (not dropped). The next write finds all that is on disk delivered,
        // starts a segment and deletes the delivered one, so there is room again; the held
        // alert goes first.
        var cursor = stored.last!.next
        spool.commit(cursor)
        var heldIndex: Int? = nil
        for index in 0..<60 {
            #expect(Self.append(spool, large(20_000 + index), .alert))  // written or held: kept either way
            if spool.counters.heldAlerts > 0 {
                heldIndex = 20_000 + index
                break
            }
            cursor = spool.read(from: cursor, maximumBytes: 1 << 20).last!.next
            spool.commit(cursor)
        }
        #expect(heldIndex != nil && spool.counters.heldAlerts == 1 && spool.counters.droppedAlerts == 0)
        #expect(spool.flush())
        #expect(spool.counters.heldAlerts == 0)
        #expect(Self.append(spool, Self.record(9999), .alert))
        #expect(Self.append(spool, large(10000), .alert))
        let after = spool.read(from: spool.committed, maximumBytes: 1 << 30)
        #expect(after.map(\.payload) == [large(heldIndex ?? 0), Self.record(9999), large(10000)])
        #expect(spool.pendingBytes == after.reduce(0) { $0 + $1.payload.count + 9 })
    }

    /// A record damaged on disk after it was written (a bad sector, a stray write) is skipped
    /// when read for delivery and counted; the records around it come back.
    @Test func aDamagedRecordIsSkippedNotSent() throws {
        let path = Self.directory("damaged")
        defer { Self.removeDirectory(path) }
        let spool = try Spool(directory: path, maximumBytes: 1 << 20)
        for index in 0..<3 { #expect(Self.append(spool, Self.record(index))) }
        spool.flush()
        let records = spool.read(from: spool.committed, maximumBytes: 1 << 20)
        // Flip a byte inside the second record's payload.
        let segment = path + "/" + String(repeating: "0", count: 20) + ".seg"
        let fd = open(segment, O_RDWR)
        var byte: UInt8 = 0
        let offset = off_t(records[0].next.offset + 9 + 2)
        pread(fd, &byte, 1, offset)
        byte ^= 0xFF
        pwrite(fd, &byte, 1, offset)
        close(fd)
        let again = spool.read(from: spool.committed, maximumBytes: 1 << 20)
        #expect(again.map(\.payload) == [Self.record(0), [], Self.record(2)])
        #expect(again.map(\.next) == records.map(\.next))
        #expect(spool.counters.corruptRecords == 1)
    }

    /// The record checksum is zlib's CRC-32: the standard check value, and the same result as
    /// the bit-by-bit definition at every length and alignment (the fast path reads 8 bytes a step).
    @Test func recordChecksumIsCRC32() {
        #expect(Array("123456789".utf8).withUnsafeBytes { CRC32.checksum($0) } == 0xCBF4_3926)
        #expect([UInt8]().withUnsafeBytes { CRC32.checksum($0) } == 0)
        func bitwise(_ bytes: ArraySlice<UInt8>) -> UInt32 {
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in bytes {
                crc ^= UInt32(byte)
                for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
            }
            return ~crc
        }
        var generator = SystemRandomNumberGenerator()
        let data = (0..<300).map { _ in UInt8.random(in: 0...255, using: &generator) }
        for start in 0..<9 {
            for length in [0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 200] {
                let slice = data[start..<(start + length)]
                #expect(slice.withUnsafeBytes { CRC32.checksum($0) } == bitwise(slice), "start \(start), length \(length)")
            }
        }
    }
}
