import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A bounded on-disk spool between the engine and a network sink: the capture thread appends,
/// the delivery thread reads and commits, and neither waits on the other. Append-only segment
/// files hold records framed as
///
///     u32 length (little endian) | u8 class | u32 CRC-32 of the payload | payload
///
/// so a record torn by a crash (`kill -9`, power loss) is recognised and skipped when the spool
/// reopens, and one damaged later is skipped when read; `cursor` (written atomically) says how
/// far delivery got. Records are gathered in memory and written in blocks (64 KiB, or a second's
/// worth; an alert at once); data is fsynced at most every `syncInterval` and on close. A
/// segment wholly delivered is deleted, the one being written too once it is big.
///
/// Full: protocol and flow events may fill 80 % of `maximumBytes`; past that they are dropped
/// (counted) and the rest is kept for alerts (and loss records), which are dropped (counted)
/// only past `maximumBytes`. A full disk: events are dropped (counted), alerts wait in memory
/// (up to `heldLimit`). The writer's owner reads `takeLoss()` to write a loss record into the
/// stream once there is room again.
public final class Spool: @unchecked Sendable {
    public enum RecordClass: UInt8, Sendable { case alert = 0, other = 1 }

    /// Where delivery stands: a segment number and a byte offset in it.
    public struct Cursor: Equatable, Comparable, Sendable {
        public var segment: UInt64
        public var offset: Int
        public static func < (a: Cursor, b: Cursor) -> Bool { (a.segment, a.offset) < (b.segment, b.offset) }
    }

    public struct Counters: Sendable, Equatable {
        public var appended: UInt64 = 0
        public var droppedAlerts: UInt64 = 0
        public var droppedOther: UInt64 = 0
        /// Records skipped at open because a crash tore them.
        public var tornRecords: UInt64 = 0
        /// Records the disk refused (full, or an I/O error) and that were dropped.
        public var writeFailures: UInt64 = 0
        /// Alerts the disk refused, held in memory until it takes them (now).
        public var heldAlerts = 0
        /// Records whose checksum did not match when read for delivery: skipped, never sent.
        public var corruptRecords: UInt64 = 0
        public var bytesOnDisk: Int = 0
    }

    static let headerLength = 9
    /// Segment files are rotated past this size; delivered ones are deleted.
    public let segmentBytes: Int
    public let directory: String
    public let maximumBytes: Int
    let syncInterval: Double
    let clock: @Sendable () -> Double

    struct Shared {
        /// The segment being written and how many of its bytes are written (readable).
        var writeSegment: UInt64 = 0
        var writeLength = 0
        var committed = Cursor(segment: 0, offset: 0)
        var counters = Counters()
        /// Bytes of every segment from the committed one on, by segment.
        var segmentLengths: [UInt64: Int] = [:]
        /// Where records appended in each second begin, oldest first: the first record of a
        /// second gets a mark, so the oldest undelivered record's age is known to a second.
        /// Bounded: past `maximumMarks`, every other mark goes (the age stays an upper bound).
        var marks: [(position: Cursor, time: Double)] = []
    }
    public static let maximumMarks = 4096

    let shared: Mutex<Shared>
    private var descriptor: Int32 = -1
    /// The disk refused the last block (capture thread only).
    private var lastAppendFailed = false
    /// Records gathered for the next write (capture thread only): bytes, records by class,
    /// and when the first was added.
    static let batchBytes = 64 * 1024
    private var batch = UnsafeMutableRawPointer.allocate(byteCount: Spool.batchBytes + 16 * 1024, alignment: 8)
    private var batchCapacity = Spool.batchBytes + 16 * 1024
    private var batchCount = 0
    private var batchAlerts = 0
    private var batchOther = 0
    private var batchStartedAt = 0.0
    /// Alerts the disk refused, waiting to be written first (capture thread only).
    private var held: UnsafeMutableRawPointer? = nil
    private var heldCount = 0
    private var heldRecords = 0
    private var heldSince = 0.0
    private var lastSync = 0.0
    private var unsynced = false
    /// Drops not yet reported by a loss record.
    private var lossAlerts: UInt64 = 0
    private var lossOther: UInt64 = 0

    /// Opens (creating) the spool directory; a torn last record is cut off.
    /// `clock`: monotonic seconds (tests pass their own to date records).
    public init(directory: String, maximumBytes: Int, syncInterval: Double = 0.5, segmentBytes: Int = 8 << 20,
                clock: @escaping @Sendable () -> Double = Spool.monotonic) throws(OutputError) {
        self.clock = clock
        self.segmentBytes = segmentBytes
        self.directory = directory
        self.maximumBytes = maximumBytes
        self.syncInterval = syncInterval
        if mkdir(directory, 0o750) != 0 && errno != EEXIST {
            throw OutputError("\(directory): cannot create the spool directory: \(String(cString: strerror(errno)))")
        }
        var state = Shared()
        state.committed = Spool.readCursor(directory) ?? Cursor(segment: 0, offset: 0)
        var segments = Spool.listSegments(directory).filter { $0 >= state.committed.segment }
        for old in Spool.listSegments(directory) where old < state.committed.segment { unlink(Spool.path(directory, old)) }
        if segments.isEmpty { segments = [state.committed.segment] }
        // The cursor's segment was delivered and deleted before the cursor file caught up.
        if segments[0] != state.committed.segment { state.committed = Cursor(segment: segments[0], offset: 0) }
        for segment in segments {
            let (valid, torn) = Spool.validLength(Spool.path(directory, segment))
            if torn > 0 {
                // A torn tail: keep what decodes, cut the rest (only the last segment can be torn by a
                // crash; a damaged earlier one is cut at the damage all the same).
                truncate(Spool.path(directory, segment), off_t(valid))
                state.counters.tornRecords += UInt64(torn)
            }
            state.segmentLengths[segment] = valid
        }
        state.writeSegment = segments.last!
        state.writeLength = state.segmentLengths[state.writeSegment] ?? 0
        if state.committed.segment == state.writeSegment { state.committed.offset = min(state.committed.offset, state.writeLength) }
        state.counters.bytesOnDisk = state.segmentLengths.values.reduce(0, +) - state.committed.offset
        if state.counters.bytesOnDisk > 0 {
            // Left by an earlier run: appended no later than the committed segment was last
            // written, so its age is at least that (record times are not stored).
            var info = stat()
            let now = clock()
            var written = now
            if stat(Spool.path(directory, state.committed.segment), &info) == 0 {
                written = now - max(0, Spool.wallClock() - (Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9))
            }
            state.marks = [(state.committed, written)]
        }
        shared = Mutex(state)
        descriptor = open(Spool.path(directory, state.writeSegment), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else { throw OutputError("\(directory): cannot open the spool: \(String(cString: strerror(errno)))") }
    }

    deinit {
        flush()
        sync()
        if descriptor >= 0 { close(descriptor) }
        batch.deallocate()
        held?.deallocate()
    }

    public var counters: Counters { shared.withLock { $0.counters } }

    // MARK: Writing (the capture thread)

    /// Appends one record, or drops it when the spool is full (see the type's note). Returns
    /// whether it was kept. Records are gathered in memory and written in blocks (one write
    /// for up to `batchBytes`); an alert is written at once, with what came before it, and so
    /// is a batch older than a second (the caller's periodic `flush` covers a quiet link). A
    /// block the disk refuses is dropped whole and counted.
    @discardableResult
    public func append(_ payload: UnsafeRawBufferPointer, class recordClass: RecordClass) -> Bool {
        let size = Spool.headerLength + payload.count
        let now = clock()
        if batchCount > 0 && now - batchStartedAt >= 1 { flush() }
        let (accepted, full, rotate) = shared.withLock { state -> (Bool, Bool, Bool) in
            let limit = recordClass == .alert ? maximumBytes : maximumBytes / 5 * 4
            guard state.counters.bytesOnDisk + heldCount + batchCount + size <= limit else {
                if recordClass == .alert { state.counters.droppedAlerts += 1 } else { state.counters.droppedOther += 1 }
                return (false, false, false)
            }
            let pending = state.writeLength + batchCount
            guard pending > 0 else { return (true, false, false) }
            // A new segment when this one is full, or when all of it is delivered and it is big
            // (the delivered one is deleted at once; after a refused write, `flush` does the same
            // whatever the size, which is what frees a full disk).
            let delivered = batchCount == 0 && state.committed == Cursor(segment: state.writeSegment, offset: state.writeLength)
            return (true, pending + size > segmentBytes, delivered && state.writeLength >= segmentBytes / 8)
        }
        guard accepted else {
            if recordClass == .alert { lossAlerts += 1 } else { lossOther += 1 }
            return false
        }
        if full {
            flush()
            if shared.withLock({ $0.writeLength }) > 0 { startSegment() }
        } else if rotate {
            startSegment()
        }
        if batchCount + size > batchCapacity {
            // A record larger than the block: the block grows to hold it (kept for the next).
            flush()
            if size > batchCapacity {
                let larger = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
                batch.deallocate()
                batch = larger
                batchCapacity = size
            }
        }
        if batchCount == 0 { batchStartedAt = now }
        let record = batch + batchCount
        let length = UInt32(payload.count)
        let crc = CRC32.checksum(payload)
        for index in 0..<4 { record.storeBytes(of: UInt8(truncatingIfNeeded: length >> (8 * UInt32(index))), toByteOffset: index, as: UInt8.self) }
        record.storeBytes(of: recordClass.rawValue, toByteOffset: 4, as: UInt8.self)
        for index in 0..<4 { record.storeBytes(of: UInt8(truncatingIfNeeded: crc >> (8 * UInt32(index))), toByteOffset: 5 + index, as: UInt8.self) }
        if let source = payload.baseAddress, payload.count > 0 { (record + Spool.headerLength).copyMemory(from: source, byteCount: payload.count) }
        batchCount += size
        if recordClass == .alert { batchAlerts += 1 } else { batchOther += 1 }
        if recordClass == .alert {
            // An alert's fate is known at once: written, or held in memory while the disk is full.
            let dropped = shared.withLock { $0.counters.droppedAlerts }
            flush()
            return shared.withLock { $0.counters.droppedAlerts } == dropped
        }
        if batchCount >= Spool.batchBytes { flush() }
        return true
    }

    /// Writes the gathered records (one write), and fsyncs if the sync interval has passed.
    /// When the disk refuses them, events are dropped (counted) and alerts wait in memory (up
    /// to `heldLimit` bytes) to go first at the next write; a partial write is cut. Returns
    /// false when something was dropped.
    @discardableResult
    public func flush() -> Bool {
        guard batchCount > 0 || heldCount > 0 else { return true }
        defer {
            batchCount = 0
            batchAlerts = 0
            batchOther = 0
        }
        if lastAppendFailed { rotateIfDelivered() }
        if descriptor < 0 {
            // The segment could not be opened (no space, no inode): try again now.
            let segment = shared.withLock { $0.writeSegment }
            descriptor = open(Spool.path(directory, segment), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        }
        // Alerts held back by a full disk go first: they are older than the batch.
        if heldCount > 0 {
            guard writeBlock(held!, count: heldCount, records: heldRecords, started: heldSince) else { return refuseBatch() }
            shared.withLock { $0.counters.heldAlerts = 0 }
            heldCount = 0
            heldRecords = 0
        }
        guard batchCount > 0 else { return true }
        guard writeBlock(batch, count: batchCount, records: batchAlerts + batchOther, started: batchStartedAt) else { return refuseBatch() }
        return true
    }

    /// One write of whole records at the end of the segment; on failure, what part of it reached
    /// the file is cut, so that the next block follows the last whole record.
    private func writeBlock(_ block: UnsafeMutableRawPointer, count: Int, records: Int, started: Double) -> Bool {
        var written = 0
        while written < count {
            let result = write(descriptor, block + written, count - written)
            if result < 0 && errno == EINTR { continue }
            guard result > 0 else { break }
            written += result
        }
        lastAppendFailed = written != count
        guard written == count else {
            let whole = shared.withLock { $0.writeLength }
            if written > 0 { ftruncate(descriptor, off_t(whole)) }
            return false
        }
        shared.withLock { state in
            if state.marks.isEmpty || started - state.marks[state.marks.count - 1].time >= 1 {
                if state.marks.count >= Spool.maximumMarks {
                    state.marks = state.marks.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
                }
                state.marks.append((Cursor(segment: state.writeSegment, offset: state.writeLength), started))
            }
            state.writeLength += written
            state.segmentLengths[state.writeSegment] = state.writeLength
            state.counters.bytesOnDisk += written
            state.counters.appended += UInt64(records)
        }
        unsynced = true
        let now = clock()
        if now - lastSync >= syncInterval { sync(now: now) }
        return true
    }

    /// The disk refused the batch: its events are dropped, its alerts are held in memory while
    /// there is room (past that, dropped too). Every drop is counted and owed a loss record.
    private func refuseBatch() -> Bool {
        var offset = 0
        var droppedAlerts = 0
        var droppedOther = 0
        while offset + Spool.headerLength <= batchCount {
            let size = Spool.headerLength + Int(batch.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian)
            let isAlert = batch.load(fromByteOffset: offset + 4, as: UInt8.self) == RecordClass.alert.rawValue
            if isAlert && heldCount + size <= Spool.heldLimit {
                if held == nil { held = UnsafeMutableRawPointer.allocate(byteCount: Spool.heldLimit, alignment: 8) }
                if heldCount == 0 { heldSince = batchStartedAt }
                (held! + heldCount).copyMemory(from: batch + offset, byteCount: size)
                heldCount += size
                heldRecords += 1
            } else if isAlert {
                droppedAlerts += 1
            } else {
                droppedOther += 1
            }
            offset += size
        }
        let heldNow = heldRecords
        shared.withLock { state in
            state.counters.droppedAlerts += UInt64(droppedAlerts)
            state.counters.droppedOther += UInt64(droppedOther)
            state.counters.writeFailures += UInt64(droppedAlerts + droppedOther)
            state.counters.heldAlerts = heldNow
        }
        lossAlerts += UInt64(droppedAlerts)
        lossOther += UInt64(droppedOther)
        return droppedAlerts + droppedOther == 0
    }

    /// After a refused write: if everything written is delivered, start a new segment (which
    /// deletes the delivered one): that is what gives a full disk its space back.
    private func rotateIfDelivered() {
        let delivered = shared.withLock { state in
            state.writeLength > 0 && state.committed == Cursor(segment: state.writeSegment, offset: state.writeLength)
        }
        if delivered { startSegment() }
    }

    /// Alert bytes a full disk may hold back in memory.
    static let heldLimit = 1 << 20

    /// Drops not yet reported by a loss record (capture thread).
    public var hasLoss: Bool { lossAlerts > 0 || lossOther > 0 }

    /// Drops since the last call (for a loss record), once a record fits again.
    public func takeLoss() -> (alerts: UInt64, other: UInt64)? {
        guard lossAlerts > 0 || lossOther > 0 else { return nil }
        defer { lossAlerts = 0; lossOther = 0 }
        return (lossAlerts, lossOther)
    }

    /// A loss record could not be written either: its counts wait for the next one, and its own
    /// drop is not a lost alert.
    public func restoreLoss(_ loss: (alerts: UInt64, other: UInt64)) {
        lossAlerts += loss.alerts
        lossOther += loss.other
        if lossAlerts > 0 { lossAlerts -= 1 }
        shared.withLock { state in if state.counters.droppedAlerts > 0 { state.counters.droppedAlerts -= 1 } }
    }

    /// Writes what is gathered and fsyncs.
    public func sync() {
        flush()
        sync(now: clock())
    }

    private func sync(now: Double) {
        lastSync = now
        guard unsynced, descriptor >= 0 else { return }
        fsync(descriptor)
        unsynced = false
    }

    private func startSegment() {
        sync(now: clock())  // fsync only: what is gathered is the caller's to write
        if descriptor >= 0 { close(descriptor) }
        let (next, finished) = shared.withLock { state -> (UInt64, UInt64?) in
            let previous = state.writeSegment
            let delivered = state.committed == Cursor(segment: previous, offset: state.writeLength)
            state.writeSegment += 1
            state.writeLength = 0
            state.segmentLengths[state.writeSegment] = 0
            guard delivered else { return (state.writeSegment, nil) }
            // Wholly delivered: delivery goes on from the new segment (the cursor file catches
            // up at the next commit; a restart before it starts at the first segment there is).
            state.committed = Cursor(segment: state.writeSegment, offset: 0)
            state.segmentLengths.removeValue(forKey: previous)
            state.marks.removeAll()
            return (state.writeSegment, previous)
        }
        if let finished { unlink(Spool.path(directory, finished)) }
        descriptor = open(Spool.path(directory, next), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
    }

    // MARK: Reading (the delivery thread)

    /// Up to `maximumBytes` of whole records from `cursor` on, with the cursor after each.
    public func read(from cursor: Cursor, maximumBytes: Int = 1 << 20) -> [(payload: [UInt8], next: Cursor)] {
        var position = cursor
        var out: [(payload: [UInt8], next: Cursor)] = []
        var budget = maximumBytes
        while budget > 0 {
            let (limit, isLast) = shared.withLock { state -> (Int, Bool) in
                (state.segmentLengths[position.segment] ?? 0, position.segment >= state.writeSegment)
            }
            if position.offset >= limit {
                if isLast { break }
                position = Cursor(segment: position.segment + 1, offset: 0)
                continue
            }
            let file = open(Spool.path(directory, position.segment), O_RDONLY | O_CLOEXEC)
            guard file >= 0 else { break }
            var want = min(limit - position.offset, max(budget, 64 * 1024))
            var bytes = [UInt8](repeating: 0, count: want)
            var got = bytes.withUnsafeMutableBytes { pread(file, $0.baseAddress, want, off_t(position.offset)) }
            if got >= Spool.headerLength {
                // A record larger than the budget is read whole all the same.
                let first = Spool.headerLength + Int(UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24)
                if first > got && first <= limit - position.offset {
                    want = first
                    bytes = [UInt8](repeating: 0, count: want)
                    got = bytes.withUnsafeMutableBytes { pread(file, $0.baseAddress, want, off_t(position.offset)) }
                }
            }
            close(file)
            guard got > 0 else { break }
            var index = 0
            while index + Spool.headerLength <= got {
                let length = Int(UInt32(bytes[index]) | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2]) << 16 | UInt32(bytes[index + 3]) << 24)
                guard index + Spool.headerLength + length <= got else { break }
                let payload = Array(bytes[(index + Spool.headerLength)..<(index + Spool.headerLength + length)])
                let stored = UInt32(bytes[index + 5]) | UInt32(bytes[index + 6]) << 8 | UInt32(bytes[index + 7]) << 16 | UInt32(bytes[index + 8]) << 24
                index += Spool.headerLength + length
                // Damaged on disk since it was written: never sent; its place is still passed.
                let intact = payload.withUnsafeBytes { CRC32.checksum($0) } == stored
                if !intact { shared.withLock { $0.counters.corruptRecords += 1 } }
                out.append((intact ? payload : [], Cursor(segment: position.segment, offset: position.offset + index)))
                budget -= Spool.headerLength + length
            }
            if index == 0 { break }  // not yet whole on disk
            position.offset += index
        }
        return out
    }

    public var committed: Cursor { shared.withLock { $0.committed } }

    /// Delivery got this far: remember it (atomically) and delete finished segments.
    public func commit(_ cursor: Cursor) {
        let finished = shared.withLock { state -> [UInt64] in
            guard cursor > state.committed else { return [] }
            state.committed = cursor
            let done = state.segmentLengths.keys.filter { $0 < cursor.segment }
            for segment in done { state.segmentLengths.removeValue(forKey: segment) }
            state.counters.bytesOnDisk = state.segmentLengths.values.reduce(0, +) - cursor.offset
            // Marks wholly behind the cursor go; the last one at or before it stays (it dates
            // the oldest undelivered record).
            // (The end of a finished segment is the start of the next one.)
            var next = cursor
            if cursor.segment < state.writeSegment && cursor.offset >= state.segmentLengths[cursor.segment] ?? 0 {
                next = Cursor(segment: cursor.segment + 1, offset: 0)
            }
            var keepFrom = 0
            while keepFrom + 1 < state.marks.count && state.marks[keepFrom + 1].position <= next { keepFrom += 1 }
            if state.counters.bytesOnDisk == 0 { keepFrom = state.marks.count }
            state.marks.removeFirst(keepFrom)
            return done
        }
        Spool.writeCursor(directory, cursor)
        for segment in finished { unlink(Spool.path(directory, segment)) }
    }

    /// Seconds since the oldest undelivered record was appended (0: nothing waits), to within
    /// a second: how far behind the SIEM is.
    public var oldestPendingAge: Double {
        shared.withLock { state in
            guard state.counters.bytesOnDisk > 0, let first = state.marks.first else { return 0 }
            return max(0, clock() - first.time)
        }
    }

    /// Bytes appended but not yet delivered.
    public var pendingBytes: Int { shared.withLock { $0.counters.bytesOnDisk } }

    // MARK: Files

    static func path(_ directory: String, _ segment: UInt64) -> String {
        let digits = String(segment)
        return directory + "/" + String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".seg"
    }

    static func listSegments(_ directory: String) -> [UInt64] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var out: [UInt64] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.hasSuffix(".seg"), let number = UInt64(name.dropLast(4)) { out.append(number) }
        }
        return out.sorted()
    }

    /// The length of the well-formed records of a segment, and how many records past it are torn.
    static func validLength(_ path: String) -> (Int, Int) {
        let file = open(path, O_RDONLY | O_CLOEXEC)
        guard file >= 0 else { return (0, 0) }
        defer { close(file) }
        var stats = stat()
        fstat(file, &stats)
        let size = Int(stats.st_size)
        var bytes = [UInt8](repeating: 0, count: size)
        let got = bytes.withUnsafeMutableBytes { size == 0 ? 0 : pread(file, $0.baseAddress, size, 0) }
        var index = 0
        while index + headerLength <= got {
            let length = Int(UInt32(bytes[index]) | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2]) << 16 | UInt32(bytes[index + 3]) << 24)
            let recordClass = bytes[index + 4]
            let crc = UInt32(bytes[index + 5]) | UInt32(bytes[index + 6]) << 8 | UInt32(bytes[index + 7]) << 16 | UInt32(bytes[index + 8]) << 24
            guard recordClass <= 1, index + headerLength + length <= got else { break }
            let matches = bytes.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[(index + headerLength)..<(index + headerLength + length)])) == crc }
            guard matches else { break }
            index += headerLength + length
        }
        return (index, index < got ? 1 : 0)
    }

    static func readCursor(_ directory: String) -> Cursor? {
        guard let file = fopen(directory + "/cursor", "r") else { return nil }
        defer { fclose(file) }
        var segment: UInt64 = 0
        var offset: Int = 0
        var line = [CChar](repeating: 0, count: 64)
        guard fgets(&line, 64, file) != nil else { return nil }
        let parts = textOf(line).split(separator: " ")
        guard parts.count == 2, let s = UInt64(parts[0]), let o = Int(parts[1].filter { $0 != "\n" }) else { return nil }
        segment = s
        offset = o
        return Cursor(segment: segment, offset: offset)
    }

    static func writeCursor(_ directory: String, _ cursor: Cursor) {
        let temporary = directory + "/cursor.tmp"
        let text = Array("\(cursor.segment) \(cursor.offset)\n".utf8)
        let file = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard file >= 0 else { return }
        _ = text.withUnsafeBytes { write(file, $0.baseAddress, $0.count) }
        fsync(file)
        close(file)
        rename(temporary, directory + "/cursor")
    }

    static func wallClock() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    public static func monotonic() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
