import SpanwatchFlow

#if canImport(Glibc)
import Glibc
#endif

/// Writes EVE lines to a file descriptor (stdout or a file) through a buffer, and, when a
/// syslog output is configured, each line also into its spool (rendered once for both).
public final class EveWriter: EventSink {
    /// The syslog output's spool and encoder; a descriptor of -1 means no EVE file at all.
    public var syslog: (encoder: SyslogEncoder, spool: Spool)? = nil
    public let formatter: EveFormatter
    var descriptor: Int32
    /// The file, for `reopen` (nil for stdout).
    let path: String?
    let ownsDescriptor: Bool
    /// Lines accumulate here and are written in blocks of about `flushThreshold` bytes.
    let buffer: JSONLineBuilder
    let flushThreshold = 64 * 1024
    public private(set) var linesWritten: UInt64 = 0
    /// Lines written, by event kind (`EventKind.allCases` order).
    public private(set) var linesByKind = [UInt64](repeating: 0, count: EventKind.allCases.count)
    public private(set) var writeErrors: UInt64 = 0
    public private(set) var filteredOut: UInt64 = 0

    /// Writes to an already open descriptor (1 for stdout).
    public init(descriptor: Int32, formatter: EveFormatter) {
        self.descriptor = descriptor
        self.ownsDescriptor = false
        self.path = nil
        self.formatter = formatter
        buffer = JSONLineBuilder(capacity: flushThreshold + 16 * 1024)
    }

    /// Opens (appends to) a file.
    public init(path: String, formatter: EveFormatter) throws(OutputError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw OutputError("\(path): \(String(cString: strerror(errno)))") }
        self.descriptor = fd
        self.ownsDescriptor = true
        self.path = path
        self.formatter = formatter
        buffer = JSONLineBuilder(capacity: flushThreshold + 16 * 1024)
    }

    deinit {
        flush()
        if ownsDescriptor { close(descriptor) }
    }

    public func wants(_ kind: EventKind) -> Bool { formatter.wants(kind) }

    public func emit(_ context: EventContext, _ body: EventBody) {
        guard formatter.wants(body) else {
            filteredOut += 1
            return
        }
        let start = buffer.count
        formatter.render(context, body, into: buffer)
        linesWritten += 1
        linesByKind[EveWriter.kindIndex(body.kind)] += 1
        if let syslog {
            let kept = buffer.withUnsafeBytes { raw in
                let line = UnsafeRawBufferPointer(rebasing: raw[start..<(raw.count - 1)])  // without the newline
                return syslog.encoder.spool(line: line, body: body, timestamp: context.timestamp, into: syslog.spool)
            }
            // Room again after drops: a loss record tells the SOC where the hole is.
            if kept { reportSpoolLoss(at: context.timestamp) }
        }
        if buffer.count >= flushThreshold { flush() }
    }

    static func kindIndex(_ kind: EventKind) -> Int {
        switch kind {
        case .modbus: 0
        case .dnp3: 1
        case .s7comm: 2
        case .cotp: 3
        case .dns: 4
        case .http: 5
        case .mqtt: 6
        case .flow: 7
        case .anomaly: 8
        case .alert: 9
        case .asset: 10
        case .stats: 11
        }
    }

    /// The `events` stats section: lines written by event type.
    public var writtenByType: [(name: StaticString, value: UInt64)] {
        EventKind.allCases.map { (EveFormatter.eventTypeName(of: $0), linesByKind[EveWriter.kindIndex($0)]) }
    }

    /// Writes a `stats` record of what the full spool dropped since the last such record, if
    /// anything (also called at exit, so a hole is never silent).
    public func reportSpoolLoss(at timestamp: Int64) {
        guard let syslog, let loss = syslog.spool.takeLoss() else { return }
        let before = syslog.spool.counters.appended
        emit(EventContext(timestamp: timestamp, pcapCount: 0, interface: nil, flow: nil),
             .stats(StatsEvent(sections: [StatsEvent.Section("spool_loss", ["dropped_alerts": loss.alerts, "dropped_events": loss.other])])))
        if syslog.spool.counters.appended == before { syslog.spool.restoreLoss(loss) }
    }

    /// SIGHUP (logrotate): flush, close and open the file again under its name. A file that
    /// cannot be opened keeps the old descriptor (nothing is lost; the error is returned).
    public func reopen() -> String? {
        guard let path, ownsDescriptor else { return nil }
        flush()
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        guard fd >= 0 else { return "\(path): \(String(cString: strerror(errno)))" }
        close(descriptor)
        descriptor = fd
        return nil
    }

    public func flush() {
        guard descriptor >= 0 else {
            buffer.removeAll()
            return
        }
        var offset = 0
        while offset < buffer.count {
            let written = buffer.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                writeErrors += 1
                break
            }
            offset += written
        }
        buffer.removeAll()
    }
}

public struct OutputError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
