import SpanwatchCapture
import SpanwatchFlow
import SpanwatchPolicy

/// `learn`: a baseline from capture files or live interfaces, written atomically as reviewable
/// YAML (`--merge` extends the file instead of replacing it).
public struct BaselineLearning {
    public var files: [String]
    public var interfaces: [String]
    public var configuration: SpanwatchConfiguration
    public var filter: String?
    /// Live: learn for this many seconds.
    public var duration: Double?
    public var output: String
    public var merge: Bool

    public init(files: [String], interfaces: [String], configuration: SpanwatchConfiguration, filter: String?, duration: Double?,
                output: String, merge: Bool) {
        self.files = files
        self.interfaces = interfaces
        self.configuration = configuration
        self.filter = filter
        self.duration = duration
        self.output = output
        self.merge = merge
    }

    public func run() throws(CommandFailure) {
        var existing = Baseline()
        if merge {
            do { existing = try BaselineFile.load(path: output) } catch { throw CommandFailure(error.description) }
        }
        let assembly = EngineAssembly(configuration: configuration, output: DiscardingSink(), baseline: .learn(merging: existing, duration: nil) { _ in })
        let summary: CaptureSummary
        if !files.isEmpty {
            let handles: [PcapHandle]
            do { handles = try CaptureRunner.openFiles(files, filter: filter) } catch { throw CommandFailure(error.description) }
            summary = CaptureRunner.runOffline(handles, processor: assembly.processor)
        } else {
            var options = LiveCaptureOptions()
            options.snapLength = Int32(configuration.snapLength)
            options.bufferSize = Int32(clamping: configuration.bufferSize)
            options.promiscuous = configuration.promiscuous
            do {
                summary = try CaptureRunner.runLive(interfaces, options: options, filter: filter, processor: assembly.processor, duration: duration)
            } catch {
                throw CommandFailure(error.description)
            }
        }
        guard let policy = assembly.policy, let learned = policy.finishLearning() else { throw CommandFailure("nothing was learned") }
        do { try BaselineFile.write(learned, to: output) } catch { throw CommandFailure(error.description) }
        RunSummary.report(summary, processor: assembly.processor, policy: policy)
        var line = "spanwatch: learned \(learned.summary)"
        if let dropped = policy.learnerCounters, dropped != BaselineLearner.Counters() {
            line += " (not kept, past the bounds: \(dropped.edgesDropped) edges, \(dropped.hostsDropped) hosts, \(dropped.namesDropped) names)"
        }
        StandardError.write(line + "; wrote \(output)\n")
    }
}
