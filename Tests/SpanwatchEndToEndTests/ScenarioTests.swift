import SpanwatchProtocols
import Foundation
import SpanwatchApp
import SpanwatchCapture
import SpanwatchFlow
import SpanwatchPolicy
import Testing

/// Learn, then watch: each folder under Scenarios/ holds a monitoring capture of the plant an
/// hour after the shared learning capture (`plant-learn.pcap`, or the folder's own `learn.pcap`),
/// a README saying what changed, and `expected.txt`: the alerts it must raise, one per line as
/// `kind | severity | baseline key | signature`. A near miss expects none.
///
/// The learned baseline goes through the YAML file (render, parse) before monitoring, as it would
/// in a plant.
@Suite struct ScenarioTests {
    static let folder = SharedCorpus.repositoryRoot.appendingPathComponent("Tests/SpanwatchEndToEndTests/Scenarios")

    static var names: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { !$0.hasSuffix(".pcap") }.sorted()
    }

    static func configuration(_ name: String) throws -> SpanwatchConfiguration {
        let own = folder.appendingPathComponent(name).appendingPathComponent("config.yaml").path
        let path = FileManager.default.fileExists(atPath: own) ? own
            : SharedCorpus.repositoryRoot.appendingPathComponent("config/spanwatch.yaml").path
        return try SpanwatchConfiguration.load(path: path)
    }

    static func learn(_ name: String, configuration: SpanwatchConfiguration) throws -> Baseline {
        let own = folder.appendingPathComponent(name).appendingPathComponent("learn.pcap").path
        let path = FileManager.default.fileExists(atPath: own) ? own : folder.appendingPathComponent("plant-learn.pcap").path
        let assembly = EngineAssembly(configuration: configuration, output: DiscardingSink(), baseline: .learn(merging: Baseline(), duration: nil) { _ in })
        _ = CaptureRunner.runOffline([try PcapHandle.openOffline(path: path)], processor: assembly.processor)
        let learned = try #require(assembly.policy?.finishLearning())
        return try BaselineFile.parse(BaselineFile.render(learned), file: "\(name)/baseline.yaml")
    }

    static func monitor(_ name: String) throws -> (alerts: [AlertEvent], aggregates: [AlertEvent], baseline: Baseline) {
        let configuration = try configuration(name)
        let baseline = try learn(name, configuration: configuration)
        let sink = CollectingSink()
        let assembly = EngineAssembly(configuration: configuration, output: sink, baseline: .monitor(baseline))
        let path = folder.appendingPathComponent(name).appendingPathComponent("monitor.pcap").path
        _ = CaptureRunner.runOffline([try PcapHandle.openOffline(path: path)], processor: assembly.processor)
        let all = sink.records.compactMap { record -> AlertEvent? in
            if case .alert(let alert) = record.body { return alert }
            return nil
        }
        return (all.filter { $0.aggregate == nil }, all.filter { $0.aggregate != nil }, baseline)
    }

    static func line(_ alert: AlertEvent) -> String {
        "\(alert.kind.rawValue) | \(alert.severity) | \(alert.baselineKey ?? "-") | \(alert.signature)"
    }

    /// `SPANWATCH_REGENERATE=1 swift test --filter ScenarioTests` rewrites expected.txt (then review the diff).
    @Test(arguments: names)
    func raisesExactlyTheExpectedAlerts(name: String) throws {
        let expectedURL = Self.folder.appendingPathComponent(name).appendingPathComponent("expected.txt")
        if ProcessInfo.processInfo.environment["SPANWATCH_REGENERATE"] == "1" {
            let lines = try Self.monitor(name).alerts.map(Self.line)
            try (["# kind | severity | baseline key | signature"] + lines).joined(separator: "\n").appending("\n")
                .write(to: expectedURL, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: Self.folder.appendingPathComponent(name).appendingPathComponent("expected.txt"), encoding: .utf8)
            .split(separator: "\n").map(String.init).filter { !$0.hasPrefix("#") && !$0.isEmpty }
        let (alerts, _, _) = try Self.monitor(name)
        #expect(alerts.map(Self.line) == expected)
    }

    @Test func everyAlertKindIsRaisedByAScenarioAndEveryBaselineAlertHasANearMiss() throws {
        var kinds = Set<String>()
        for name in Self.names {
            let text = try String(contentsOf: Self.folder.appendingPathComponent(name).appendingPathComponent("expected.txt"), encoding: .utf8)
            for line in text.split(separator: "\n") where !line.hasPrefix("#") { kinds.insert(String(line.split(separator: " ")[0])) }
        }
        // zone_violation, remote_access, port_scan, cleartext and the rest are raised here too;
        // ZonePolicyAlertTests has their zone-only near misses.
        #expect(kinds == Set(AlertEvent.Kind.allCases.map(\.rawValue)))
        #expect(Self.names.filter { $0.hasPrefix("near-miss-") }.count >= 8)
    }

    /// Approving what the alerts name silences them: monitoring again with the approved baseline
    /// raises none of the alerts that had a key.
    @Test func approvingTheNamedKeysSilencesThoseAlerts() throws {
        for name in ["new-host-writes-registers", "new-operation-first-write", "write-out-of-range", "asset-change-firmware",
                     "asset-change-mac", "external-dns", "new-flow-between-known-hosts"] {
            let configuration = try Self.configuration(name)
            var (alerts, _, baseline) = try Self.monitor(name)
            let keyed = alerts.compactMap(\.baselineKey)
            #expect(!keyed.isEmpty, "\(name)")
            for key in keyed { #expect(try baseline.approve(key), "\(name): \(key)") }
            let sink = CollectingSink()
            let assembly = EngineAssembly(configuration: configuration, output: sink, baseline: .monitor(baseline))
            let path = Self.folder.appendingPathComponent(name).appendingPathComponent("monitor.pcap").path
            _ = CaptureRunner.runOffline([try PcapHandle.openOffline(path: path)], processor: assembly.processor)
            let again = sink.records.compactMap { record -> AlertEvent? in
                if case .alert(let alert) = record.body, alert.baselineKey != nil { return alert }
                return nil
            }
            #expect(again.isEmpty, "\(name): \(again.map(Self.line))")
        }
    }

    @Test func baselineAlertsCarryTheProtocolObjectThatRaisedThem() throws {
        let (alerts, _, _) = try Self.monitor("write-out-of-range")
        let alert = try #require(alerts.first { $0.kind == .writeOutOfRange })
        guard let transaction = alert.evidence?.body.application(as: ModbusTransaction.self) else {
            Issue.record("no Modbus evidence")
            return
        }
        #expect(transaction.request?.address == 400)
        #expect(alert.technique?.id == "T0836")
    }

    @Test func aSweepIsReportedOnceAndItsRepeatsByAggregateRecords() throws {
        let (alerts, aggregates, _) = try Self.monitor("port-scan")
        #expect(alerts.filter { $0.kind == .portScan }.count == 1)
        let scan = try #require(aggregates.first { $0.kind == .portScan }?.aggregate)
        // The HMI's targets within the minute: its 2 polled PLCs, 30 swept ports, then the
        // historian's web page (33). The 25th raises the alert; the 8 after it are one aggregate.
        #expect(scan.count == 8 && scan.total == 9, "\(scan)")
        #expect(scan.firstSeen < scan.lastSeen)
    }
}
