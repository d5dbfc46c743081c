import SpanwatchFlow
import SpanwatchProtocols
import SpanwatchOutput

#if canImport(Glibc)
import Glibc
#endif

/// Every configured output at once: the EVE files (or stdout) and the syslog receivers, each
/// syslog output with its own spool and delivery thread. One writer renders each event once.
public final class OutputAssembly {
    public let writer: EveWriter
    let syslogSettings: [SyslogOutputConfiguration]
    /// The directory holding the `seq` reservation of a live run, when configured.
    let stateDirectory: String?
    /// What opening the spools found and the caller should tell the operator.
    public private(set) var notices: [String] = []

    /// `eveOutputs`: the configuration's, or what `--eve` / `-l` put in their place. `types`
    /// (`--types`) takes the place of every output's own types: the command line wins.
    /// `withSyslog: false` (decode) opens no spool. `live`: `seq` continues from the state
    /// directory's reservation (offline runs start at 1, unless a syslog spool holds a
    /// reservation: ids sent to a SIEM never repeat).
    public init(configuration: SpanwatchConfiguration, eveOutputs: [EveOutputConfiguration], types: Set<String>?,
                withSyslog: Bool, live: Bool = false) throws(ConfigurationError) {
        writer = EveWriter(formatter: EveFormatter(sensorName: configuration.sensorName), eventTypes: ProtocolRegistry.standard.eventTypes)
        syslogSettings = withSyslog ? configuration.syslogOutputs : []
        for output in eveOutputs {
            if output.path == "-" {
                writer.addOutput(descriptor: 1, types: types ?? output.types)
                continue
            }
            do { try writer.addOutput(path: output.path, types: types ?? output.types) } catch {
                throw ConfigurationError("\(output.key).path: \(error.description)")
            }
        }
        for settings in syslogSettings {
            let spool: Spool
            do { spool = try Spool(directory: settings.spoolDirectory, maximumBytes: settings.spoolBytes) } catch {
                throw ConfigurationError("\(settings.key).spool: \(error.description)")
            }
            let torn = spool.counters.tornRecords
            if torn > 0 { notices.append("spool \(settings.spoolDirectory): skipped \(torn) torn record(s) left by a crash") }
            let output = writer.addSyslogOutput(name: settings.name, encoder: SyslogEncoder(hostname: configuration.sensorName, facility: settings.facility),
                                                spool: spool, types: types ?? settings.types)
            do {
                output.forwarder = try SyslogForwarder(host: settings.host, port: settings.port, spool: spool, transport: settings.transport)
            } catch {
                throw ConfigurationError("\(settings.key): \(error.description)")
            }
        }
        // Event ids must stay unique across restarts: seq continues from a reservation kept in
        // the state directory (live), else in the first spool directory (all outputs share one
        // sequence).
        var reservation: (key: String, directory: String)? = syslogSettings.first.map { ("\($0.key).spool", $0.spoolDirectory) }
        if live, let state = configuration.stateDirectory { reservation = ("sensor.state_directory", state) }
        if let reservation {
            mkdir(reservation.directory, 0o750)  // as a spool directory is (systemd's StateDirectory= makes it)
            do { writer.formatter.continueSequence(try SequenceReservation(path: reservation.directory + "/sequence")) } catch {
                throw ConfigurationError("\(reservation.key): \(error.description)")
            }
        }
        stateDirectory = live ? configuration.stateDirectory : nil
    }

    /// What the service user must own after a privilege drop: spools and the state directory.
    public var writableDirectories: [String] { syslogSettings.map(\.spoolDirectory) + (stateDirectory.map { [$0] } ?? []) }

    public func startDelivery() {
        for output in writer.syslogOutputs { output.forwarder?.start() }
    }

    /// Why the sensor is not ready to be relied on, as far as its outputs go: a spool above
    /// 90 % of its cap, a receiver not connected.
    public var readinessProblems: [String] {
        var problems: [String] = []
        for (output, settings) in zip(writer.syslogOutputs, syslogSettings) {
            if output.spool.pendingBytes * 10 >= settings.spoolBytes * 9 { problems.append("\(output.name): spool above 90 %") }
            if output.forwarder?.counters.connected == false { problems.append("\(output.name): receiver not connected") }
        }
        return problems
    }

    /// The `output` stats section: totals, and each output's counters under `outputs`.
    public func statsSection(engineEvents: UInt64) -> StatsEvent.Section {
        let rendered = writer.linesByType.reduce(0, +)
        var section = StatsEvent.Section("output", ["events": engineEvents, "rendered": rendered, "filtered": writer.filteredOut])
        var instances: [(name: String, values: [(name: StaticString, value: UInt64)])] = []
        for file in writer.files {
            instances.append((file.name, [("lines", file.lines), ("write_errors", file.writeErrors)]))
        }
        for output in writer.syslogOutputs {
            let s = output.spool.counters
            let f = output.forwarder?.counters ?? SyslogForwarder.Counters()
            instances.append((output.name, [
                ("lines", output.lines), ("spooled", s.appended), ("dropped_alerts", s.droppedAlerts), ("dropped_events", s.droppedOther),
                ("pending_bytes", UInt64(s.bytesOnDisk)), ("oldest_pending_seconds", UInt64(output.spool.oldestPendingAge)),
                ("torn_records", s.tornRecords), ("write_failures", s.writeFailures), ("held_alerts", UInt64(s.heldAlerts)), ("corrupt_records", s.corruptRecords), ("delivered", f.delivered), ("connects", f.connects), ("failures", f.failures),
                ("connected", f.connected ? 1 : 0),
            ]))
        }
        section.breakdown = StatsEvent.Breakdown(key: "outputs", label: "output", instances: instances)
        return section
    }

    /// At exit: loss records, flush, fsync, then every receiver gets the drain timeout (all at
    /// once) to take what is spooled; the rest stays spooled for the next start. One line per
    /// syslog output for the operator.
    public func finish(lastTime: Int64) -> [String] {
        writer.reportSpoolLosses(at: lastTime)
        writer.flush()
        for output in writer.syslogOutputs { output.spool.sync() }
        for (output, settings) in zip(writer.syslogOutputs, syslogSettings) { output.forwarder?.requestStop(drainSeconds: settings.drainSeconds) }
        // A second stop signal (an operator who will not wait) ends the drain now.
        let forwarders = writer.syslogOutputs.compactMap(\.forwarder)
        while !forwarders.allSatisfy(\.finished) {
            if CaptureRunner.stopInsisted {
                for forwarder in forwarders { forwarder.requestStop(drainSeconds: 0) }
                break
            }
            usleep(20_000)
        }
        var lines: [String] = []
        for output in writer.syslogOutputs {
            guard let forwarder = output.forwarder else { continue }
            forwarder.join()
            let c = forwarder.counters
            let s = output.spool.counters
            var line = "\(output.name): \(c.delivered) records sent, \(output.spool.pendingBytes) bytes left in the spool"
            if s.droppedAlerts + s.droppedOther > 0 { line += ", dropped (spool or disk full): \(s.droppedAlerts) alerts and \(s.droppedOther) events" }
            if s.heldAlerts > 0 { line += ", \(s.heldAlerts) alerts lost with the process: the disk refused them" }
            if c.failures > 0 { line += ", \(c.failures) connection failures" + (c.lastError.map { " (last: \($0))" } ?? "") }
            lines.append(line)
        }
        return lines
    }
}
