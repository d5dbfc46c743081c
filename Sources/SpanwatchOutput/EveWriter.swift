import SpanwatchFlow

#if canImport(Glibc)
import Glibc
#endif

extension EventTypeSet {
    /// From EVE type names (`alert`, `flow`, ...) among the known types; nil means every type.
    public init(names: Set<String>?, among known: [EventType]) {
        guard let names else {
            self = .all
            return
        }
        self.init(known.filter { names.contains($0.description) })
    }
}

/// Every output at once: each event is rendered once (one `seq`, one `event_id`) and its line
/// goes to every EVE file (or stdout) and every syslog spool whose types take it.
public final class EveWriter: EventSink {
    /// One EVE file or stdout, written through a buffer in blocks.
    public final class FileOutput {
        /// `eve:PATH`, or `eve:stdout`.
        public let name: String
        let path: String?
        var descriptor: Int32
        let ownsDescriptor: Bool
        let types: EventTypeSet
        let buffer: JSONLineBuilder
        public fileprivate(set) var lines: UInt64 = 0
        public fileprivate(set) var writeErrors: UInt64 = 0

        init(name: String, path: String?, descriptor: Int32, ownsDescriptor: Bool, types: EventTypeSet) {
            self.name = name
            self.path = path
            self.descriptor = descriptor
            self.ownsDescriptor = ownsDescriptor
            self.types = types
            buffer = JSONLineBuilder(capacity: EveWriter.flushThreshold + 16 * 1024)
        }

        deinit {
            flush()
            if ownsDescriptor { close(descriptor) }
        }

        public func flush() {
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

        /// SIGHUP (logrotate): flush, close and open the file again under its name. A file that
        /// cannot be opened keeps the old descriptor (nothing is lost; the error is returned).
        func reopen() -> String? {
            guard let path, ownsDescriptor else { return nil }
            flush()
            let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
            guard fd >= 0 else { return "\(path): \(String(cString: strerror(errno)))" }
            close(descriptor)
            descriptor = fd
            return nil
        }
    }

    /// One syslog receiver: lines are framed into its spool; its forwarder delivers them.
    public final class SyslogOutput {
        /// `syslog:HOST:PORT`.
        public let name: String
        public let encoder: SyslogEncoder
        public let spool: Spool
        public var forwarder: SyslogForwarder?
        let types: EventTypeSet
        public fileprivate(set) var lines: UInt64 = 0

        init(name: String, encoder: SyslogEncoder, spool: Spool, types: EventTypeSet) {
            self.name = name
            self.encoder = encoder
            self.spool = spool
            self.types = types
        }
    }

    static let flushThreshold = 64 * 1024
    public let formatter: EveFormatter
    public private(set) var files: [FileOutput] = []
    public private(set) var syslogOutputs: [SyslogOutput] = []
    /// What at least one output takes.
    private var wanted = EventTypeSet.none
    /// Each event is rendered here once, then copied to the outputs that take it.
    private let line = JSONLineBuilder(capacity: 16 * 1024)
    /// Lines rendered, by event type (`EventType.index`).
    public private(set) var linesByType = [UInt64](repeating: 0, count: 64)
    public private(set) var filteredOut: UInt64 = 0
    /// Every event type there is (the registry's and the machinery's), in documentation order.
    public let eventTypes: [EventType]

    public init(formatter: EveFormatter, eventTypes: [EventType]) {
        self.formatter = formatter
        self.eventTypes = eventTypes
    }

    deinit { flush() }

    /// Writes to an already open descriptor (1 for stdout).
    public func addOutput(descriptor: Int32, name: String = "eve:stdout", types: Set<String>? = nil) {
        files.append(FileOutput(name: name, path: nil, descriptor: descriptor, ownsDescriptor: false, types: EventTypeSet(names: types, among: eventTypes)))
        updateWanted()
    }

    /// Opens (appends to) a file.
    public func addOutput(path: String, types: Set<String>? = nil) throws(OutputError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw OutputError("\(path): \(String(cString: strerror(errno)))") }
        files.append(FileOutput(name: "eve:" + path, path: path, descriptor: fd, ownsDescriptor: true, types: EventTypeSet(names: types, among: eventTypes)))
        updateWanted()
    }

    @discardableResult
    public func addSyslogOutput(name: String, encoder: SyslogEncoder, spool: Spool, types: Set<String>? = nil) -> SyslogOutput {
        let output = SyslogOutput(name: name, encoder: encoder, spool: spool, types: EventTypeSet(names: types, among: eventTypes))
        syslogOutputs.append(output)
        updateWanted()
        return output
    }

    private func updateWanted() {
        var union = EventTypeSet.none
        for file in files { union = union.union(file.types) }
        for output in syslogOutputs { union = union.union(output.types) }
        wanted = union
    }

    public func wants(_ type: EventType) -> Bool { wanted.contains(type) }

    public func emit(_ context: EventContext, _ body: EventBody) {
        if case .application(let event) = body {
            emitOpened(context, event)
            return
        }
        let type = body.eventType
        guard wanted.contains(type) else {
            filteredOut += 1
            return
        }
        line.removeAll()
        formatter.render(context, body, into: line)
        deliver(type, timestamp: context.timestamp, urgent: type == .alert) { output, withoutNewline in
            output.encoder.spool(line: withoutNewline, body: body, timestamp: context.timestamp, into: output.spool)
        }
    }

    private func emitOpened<Event: ProtocolEvent>(_ context: EventContext, _ event: Event) {
        emit(context, application: event)
    }

    public func emit<Event: ProtocolEvent>(_ context: EventContext, application event: Event) {
        let type = Event.eventType
        guard wanted.contains(type) else {
            filteredOut += 1
            return
        }
        line.removeAll()
        formatter.render(context, application: event, into: line)
        deliver(type, timestamp: context.timestamp, urgent: false) { output, withoutNewline in
            output.encoder.spool(line: withoutNewline, eventType: type, timestamp: context.timestamp, into: output.spool)
        }
    }

    /// The rendered line to every output that takes its type.
    private func deliver(_ type: EventType, timestamp: Int64, urgent: Bool,
                         spool: (SyslogOutput, UnsafeRawBufferPointer) -> Bool) {
        linesByType[type.index] += 1
        var keptAfterLoss: [SyslogOutput] = []  // empty (no allocation) but after drops
        line.withUnsafeBytes { rendered in
            // Alerts are written at once (an analyst tails the file); other lines in blocks.
            for file in files where file.types.contains(type) {
                file.buffer.append(rendered)
                file.lines += 1
                if urgent || file.buffer.count >= EveWriter.flushThreshold { file.flush() }
            }
            guard !syslogOutputs.isEmpty else { return }
            let withoutNewline = UnsafeRawBufferPointer(rebasing: rendered[0..<(rendered.count - 1)])
            for output in syslogOutputs where output.types.contains(type) {
                output.lines += 1
                let kept = spool(output, withoutNewline)
                if kept && output.spool.hasLoss { keptAfterLoss.append(output) }
            }
        }
        // Room again after drops: a loss record tells the SOC where the hole is (rendered after
        // this line has gone everywhere: it reuses the line buffer).
        for output in keptAfterLoss { reportSpoolLoss(output, at: timestamp) }
    }

    /// The `events` breakdown: lines rendered by event type.
    public var renderedByType: [(name: String, values: [(name: StaticString, value: UInt64)])] {
        eventTypes.map { type in
            let written: [(name: StaticString, value: UInt64)] = [("written", linesByType[type.index])]
            return (type.description, written)
        }
    }

    /// Writes a `stats` record of what one full spool dropped since its last such record, if
    /// anything (also called at exit, so a hole is never silent). It goes to that syslog output
    /// whatever its types (the SOC must see the hole), and to the EVE files that take stats.
    public func reportSpoolLoss(_ output: SyslogOutput, at timestamp: Int64) {
        guard let loss = output.spool.takeLoss() else { return }
        let before = output.spool.counters.appended
        let values: [(name: StaticString, value: UInt64)] = [("dropped_alerts", loss.alerts), ("dropped_events", loss.other)]
        var section = StatsEvent.Section("spool_loss", entries: values)
        section.breakdown = StatsEvent.Breakdown(key: "outputs", label: "output", instances: [(output.name, values)])
        let body = EventBody.stats(StatsEvent(sections: [section]))
        let context = EventContext(timestamp: timestamp, pcapCount: 0, interface: nil, flow: nil)
        line.removeAll()
        formatter.render(context, body, into: line)
        linesByType[EventType.stats.index] += 1
        line.withUnsafeBytes { rendered in
            for file in files where file.types.contains(EventType.stats) {
                file.buffer.append(rendered)
                file.lines += 1
            }
            output.lines += 1
            output.encoder.spool(line: UnsafeRawBufferPointer(rebasing: rendered[0..<(rendered.count - 1)]), body: body, timestamp: timestamp,
                                 into: output.spool)
        }
        if output.spool.counters.appended == before { output.spool.restoreLoss(loss) }
    }

    /// Loss records for every spool that dropped something (at exit).
    public func reportSpoolLosses(at timestamp: Int64) {
        for output in syslogOutputs { reportSpoolLoss(output, at: timestamp) }
    }

    /// SIGHUP (logrotate): every EVE file is opened again under its name; the problems, if any.
    public func reopen() -> [String] {
        files.compactMap { $0.reopen() }
    }

    /// Everything gathered goes out: the files' buffers, the spools' blocks. The capture loop
    /// calls it every second, so no line waits longer on a quiet link.
    public func flush() {
        for file in files { file.flush() }
        for output in syslogOutputs { output.spool.flush() }
    }
}

public struct OutputError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
