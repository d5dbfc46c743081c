import SpanwatchCapture
import SpanwatchFlow
import SpanwatchOutput
import SpanwatchPolicy

#if canImport(Glibc)
import Glibc
#endif

/// `run -i`: the daemon. Live capture on every interface into the outputs, with the policy
/// layer; once a second the buffers are flushed, metrics published and (on its interval) a
/// `stats` record written. SIGHUP reopens the EVE files, SIGUSR2 reloads the baseline,
/// SIGTERM/SIGINT end the capture; it then writes its final stats and drains the outputs.
public struct LiveRun {
    public var interfaces: [String]
    public var configuration: SpanwatchConfiguration
    public var types: Set<String>?
    public var filter: String?
    public var eveOutputs: [EveOutputConfiguration]
    public var baseline: BaselineUse
    /// The file SIGUSR2 reloads.
    public var baselinePath: String?
    public var options: LiveCaptureOptions
    /// Stop after this many seconds (tests, soaks).
    public var duration: Double?
    /// After opening the interfaces, run as this user (keeping only CAP_NET_RAW).
    public var user: String?

    public init(interfaces: [String], configuration: SpanwatchConfiguration, types: Set<String>?, filter: String?,
                eveOutputs: [EveOutputConfiguration], baseline: BaselineUse, baselinePath: String?, options: LiveCaptureOptions,
                duration: Double?, user: String?) {
        self.interfaces = interfaces
        self.configuration = configuration
        self.types = types
        self.filter = filter
        self.eveOutputs = eveOutputs
        self.baseline = baseline
        self.baselinePath = baselinePath
        self.options = options
        self.duration = duration
        self.user = user
    }

    public func run() throws(CommandFailure) {
        let account: (uid: uid_t, gid: gid_t)?
        do { account = try user.map(PrivilegeDrop.lookUp) } catch { throw CommandFailure(error.description) }
        let outputs = try OutputAssembly.open(configuration, eveOutputs: eveOutputs, types: types, withSyslog: true, live: true)
        let writer = outputs.writer
        let assembly = EngineAssembly(configuration: configuration, output: writer, baseline: baseline)
        let processor = assembly.processor
        var metrics: MetricsServer? = nil
        if let listen = configuration.metricsListen {
            do { metrics = try MetricsServer(host: listen.host, port: listen.port) } catch { throw CommandFailure(error.description) }
            metrics?.start()
        }
        defer { metrics?.stop() }
        let summary: CaptureSummary
        let configuration = self.configuration
        let baselinePath = self.baselinePath
        do {
            let started = CaptureRunner.monotonicSeconds()
            var lastStats = started
            let health = CaptureHealth()
            summary = try CaptureRunner.runLive(interfaces, options: options, filter: filter, processor: processor, duration: duration,
                                                everySecond: { status in
                let now = CaptureRunner.monotonicSeconds()
                writer.flush()  // no line waits more than a second in a buffer
                let stats = StatsReport.make(processor: processor, policy: assembly.policy, interfaces: status, outputs: outputs,
                                             uptime: Int64(now - started))
                let down = status.filter { !$0.capturing }.map { "\($0.name): not capturing" }
                metrics?.publish(stats, capturing: down.count < status.count,
                                 problems: down + health.problems(status, engine: processor.counters, now: now) + outputs.readinessProblems)
                if configuration.statsInterval > 0 && now - lastStats >= Double(configuration.statsInterval) {
                    lastStats = now
                    writer.emit(EventContext(timestamp: processor.now, pcapCount: 0, interface: nil, flow: nil), .stats(stats))
                }
            }, notifier: SystemdNotifier(), afterOpen: { () throws(CaptureError) in
                guard let account else { return }
                PrivilegeDrop.handOver(outputs.writableDirectories, to: account)
                do { try PrivilegeDrop.drop(to: account) } catch { throw CaptureError("\(error)") }
            }, reopen: {
                // SIGHUP (logrotate): every EVE file is opened again under its name.
                for problem in writer.reopen() { StandardError.write("spanwatch: cannot reopen \(problem); writing on\n") }
            }) {
                // SIGUSR2: reload the maintenance and mutes files and the baseline; a broken file
                // keeps the one in use.
                guard let policy = assembly.policy else { return }
                do {
                    let marking = try configuration.loadMarking()
                    policy.marking.replaceRules(with: marking)
                    StandardError.write("spanwatch: reloaded \(marking.windows.count) maintenance windows, \(marking.mutes.count) mutes\n")
                } catch {
                    StandardError.write("spanwatch: \(error); keeping the maintenance windows and mutes in use\n")
                }
                guard let baselinePath else { return }
                do {
                    let reloaded = try BaselineFile.load(path: baselinePath)
                    policy.monitor(with: reloaded)
                    StandardError.write("spanwatch: reloaded \(baselinePath): \(reloaded.summary)\n")
                } catch {
                    StandardError.write("spanwatch: \(error); keeping the baseline in use\n")
                }
            }
        } catch {
            throw CommandFailure("\(error)")
        }
        writer.emit(EventContext(timestamp: processor.now, pcapCount: 0, interface: nil, flow: nil),
                    .stats(StatsReport.make(processor: processor, policy: assembly.policy, interfaces: summary.interfaces, outputs: outputs)))
        writer.flush()
        RunSummary.report(summary, processor: processor, policy: assembly.policy)
        outputs.finishReporting(lastTime: processor.now)
    }
}

extension BaselineUse {
    /// Learn mode (config), or the baseline to monitor with (`-b` or `baseline.path`). A baseline
    /// that does not load is named with its line, and monitoring goes on without it: capture
    /// never stops for it. In learn mode a broken existing file is a failure (learning extends it).
    public static func chosen(by configuration: SpanwatchConfiguration, file: String?) throws(CommandFailure) -> BaselineUse {
        let path = file ?? configuration.baselinePath
        if configuration.learnMode, file == nil, let path {
            var existing = Baseline()
            if access(path, F_OK) == 0 {
                do { existing = try BaselineFile.load(path: path) } catch {
                    throw CommandFailure("\(error.description) (learn mode extends it; fix it first)")
                }
            }
            let duration = configuration.learnFor
            StandardError.write("spanwatch: learn mode: learning\(duration.map { " for \($0 / 1_000_000) s of traffic" } ?? ""), then writing \(path)\n")
            return .learn(merging: existing, duration: duration ?? Int64.max / 2) { learned in
                do {
                    try BaselineFile.write(learned, to: path)
                    StandardError.write("spanwatch: learned \(learned.summary); wrote \(path); monitoring with it\n")
                } catch let error as ConfigurationError {
                    StandardError.write("spanwatch: \(error.description); monitoring with the learned baseline in memory\n")
                } catch {
                    StandardError.write("spanwatch: \(error); monitoring with the learned baseline in memory\n")
                }
            }
        }
        guard let path else { return .none }
        do {
            return .monitor(try BaselineFile.load(path: path))
        } catch {
            StandardError.write("spanwatch: \(error.description); monitoring without a baseline (zone and detection alerts only)\n")
            return .none
        }
    }
}
