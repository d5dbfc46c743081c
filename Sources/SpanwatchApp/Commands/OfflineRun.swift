import SpanwatchCapture
import SpanwatchFlow
import SpanwatchOutput
import SpanwatchPolicy

/// `decode -r` and `run -r`: capture files through the engine into the outputs, packet time as
/// the clock. `decode` writes protocol events and flows only (no policy, no syslog); `run` adds
/// the policy layer and ends with a `stats` record.
public struct OfflineRun {
    public var files: [String]
    public var configuration: SpanwatchConfiguration
    /// `--types`: the place of every output's own types.
    public var types: Set<String>?
    public var filter: String?
    public var eveOutputs: [EveOutputConfiguration]
    public var withPolicy: Bool
    public var baseline: BaselineUse

    public init(files: [String], configuration: SpanwatchConfiguration, types: Set<String>?, filter: String?,
                eveOutputs: [EveOutputConfiguration], withPolicy: Bool = true, baseline: BaselineUse = .none) {
        self.files = files
        self.configuration = configuration
        self.types = types
        self.filter = filter
        self.eveOutputs = eveOutputs
        self.withPolicy = withPolicy
        self.baseline = baseline
    }

    public func run() throws(CommandFailure) {
        let handles: [PcapHandle]
        do {
            handles = try CaptureRunner.openFiles(files, filter: filter)
        } catch {
            throw CommandFailure(error.description)
        }
        let outputs = try OutputAssembly.open(configuration, eveOutputs: eveOutputs, types: types, withSyslog: withPolicy)
        let writer = outputs.writer
        let assembly = EngineAssembly(configuration: configuration, output: writer, withPolicy: withPolicy, baseline: baseline)
        let summary = CaptureRunner.runOffline(handles, processor: assembly.processor)
        if withPolicy {  // `run` ends with its counters; `decode` writes protocol events and flows only
            writer.emit(EventContext(timestamp: assembly.processor.now, pcapCount: 0, interface: nil, flow: nil),
                        .stats(StatsReport.make(processor: assembly.processor, policy: assembly.policy, outputs: outputs)))
        }
        writer.flush()
        RunSummary.report(summary, processor: assembly.processor, policy: assembly.policy)
        outputs.finishReporting(lastTime: assembly.processor.now)
    }
}

extension OutputAssembly {
    /// Opens every output (a bad path or spool is a failure naming it) and starts syslog delivery.
    public static func open(_ configuration: SpanwatchConfiguration, eveOutputs: [EveOutputConfiguration], types: Set<String>?,
                            withSyslog: Bool, live: Bool = false) throws(CommandFailure) -> OutputAssembly {
        let outputs: OutputAssembly
        do {
            outputs = try OutputAssembly(configuration: configuration, eveOutputs: eveOutputs, types: types, withSyslog: withSyslog, live: live)
        } catch {
            throw CommandFailure(error.description)
        }
        for notice in outputs.notices { StandardError.write("spanwatch: \(notice)\n") }
        outputs.startDelivery()
        return outputs
    }

    /// Loss records, flush, and the drain of every syslog output, each reported on stderr.
    public func finishReporting(lastTime: Int64) {
        for line in finish(lastTime: lastTime) { StandardError.write("spanwatch: \(line)\n") }
    }
}

/// End-of-run counters on stderr (stdout carries the events).
public enum RunSummary {
    public static func report(_ summary: CaptureSummary, processor: PacketProcessor, policy: PolicyEngine? = nil) {
        let c = processor.counters
        let t = processor.table.counters
        var line = "spanwatch: \(summary.frames) frames, \(c.invalid) invalid, \(c.fragmentsSkipped) fragments skipped, "
        line += "\(t.created) flows (\(t.evicted) evicted), \(c.reassemblyGaps) gaps, \(c.events) events"
        if let policy {
            let p = policy.counters
            line += ", \(p.alerts) alerts (\(p.repeats) repeats, \(p.aggregates) aggregate records"
            if p.rateLimited > 0 { line += ", \(p.rateLimited) held back by the rate limit" }
            line += ")"
        }
        for interface in summary.interfaces {
            let kernel = interface.kernel
            line += ", \(interface.name): \(kernel.packets) received \(kernel.drops) dropped \(kernel.interfaceDrops) if-dropped"
            if interface.reopens > 0 { line += " (reopened \(interface.reopens) times)" }
        }
        StandardError.write(line + "\n")
        for error in summary.readErrors {
            StandardError.write("spanwatch: read error: \(error)\n")
        }
    }
}
