import SpanwatchProtocols
import Foundation
import SpanwatchApp
import SpanwatchCapture
import SpanwatchFlow
import SpanwatchPolicy
import Testing

/// The zones and conduits of config/spanwatch.yaml applied to fixtures: what must raise an alert
/// does, once per key; the near misses (allowed conduits, traffic inside a zone) do not.
@Suite struct ZonePolicyAlertTests {
    static func alerts(_ fixture: String, file: String = "capture.pcap") throws -> (alerts: [AlertEvent], policy: PolicyEngine) {
        try run(fixture, file: file).map { ($0.alerts, $0.policy) }!
    }

    static func run(_ fixture: String, file: String = "capture.pcap") throws
        -> (alerts: [AlertEvent], policy: PolicyEngine, alertedFlows: Int)? {
        let root = SharedCorpus.repositoryRoot
        let configuration = try SpanwatchConfiguration.load(path: root.appendingPathComponent("config/spanwatch.yaml").path)
        let sink = CollectingSink()
        let assembly = EngineAssembly(configuration: configuration, output: sink)
        let path = fixture.hasSuffix(".pcap") ? root.appendingPathComponent(fixture).path
            : FixtureTests.folder.appendingPathComponent(fixture).appendingPathComponent(file).path
        let handle = try PcapHandle.openOffline(path: path)
        _ = CaptureRunner.runOffline([handle], processor: assembly.processor)
        // Aggregate records (a key that happened again) are checked where a test asks for them.
        let alerts = sink.records.compactMap { record -> AlertEvent? in
            if case .alert(let alert) = record.body, alert.aggregate == nil { return alert }
            return nil
        }
        let alerted = sink.records.filter { record in
            if case .flow = record.body { return record.flow?.alerted == true }
            return false
        }.count
        return (alerts, assembly.policy!, alerted)
    }

    @Test func zoneViolationsOncePerKeyAndDecidedByProtocol() throws {
        let (all, policy) = try Self.alerts("zone-policy")
        let alerts = all.filter { $0.kind == .zoneViolation }
        #expect(alerts.count == 3)
        // The IoT sensor writing to the PLC (twice: one alert, one repeat) ...
        #expect(alerts[0].fromZone == "iot" && alerts[0].toZone == "control" && alerts[0].signature.contains("10.40.1.7"))
        #expect(policy.counters.repeats == 1)
        // The repeat is reported at the end of input by one aggregate record, not lost.
        #expect(policy.counters.aggregates == 1)
        // ... HTTP from the HMI, whose conduit carries Modbus, S7comm and DNP3 only ...
        #expect(alerts[1].fromZone == "supervisory" && alerts[1].signature.contains("http"))
        // ... and RDP, decided when the flow ends without a protocol the conduit carries (its
        // ISO-on-TCP connection request is not taken for S7comm).
        #expect(alerts[2].signature.contains("tcp/3389"))
        #expect(alerts.allSatisfy { $0.severity == 1 && $0.signatureID == 9_000_001 })
        // Flow records say which flows raised alerts: the two sensor flows, HTTP and RDP.
        #expect(try Self.run("zone-policy")?.alertedFlows == 4)
    }

    @Test func portScanOnceAndASweepIsOneZoneAlert() throws {
        let (alerts, _) = try Self.alerts("port-scan")
        #expect(alerts.filter { $0.kind == .portScan }.count == 1)
        #expect(alerts.first { $0.kind == .portScan }?.signature.contains("10.10.1.66") == true)
        // The sweep's 40 refused SYNs (to ports 22 and 23 among them) are neither 40 zone
        // violations nor remote-access sessions; the HMI's polling raises nothing.
        #expect(alerts.filter { $0.kind == .zoneViolation }.count == 1)
        #expect(alerts.filter { $0.kind == .remoteAccess }.isEmpty)
        #expect(!alerts.contains { $0.signature.contains("10.10.1.10") })
    }

    @Test func remoteAccessIntoAnOTZone() throws {
        let remote = try Self.alerts("zone-policy").alerts.filter { $0.kind == .remoteAccess }
        #expect(remote.count == 1 && remote[0].signature.contains("RDP") && remote[0].signature.contains("into zone control"))
        #expect(remote[0].technique?.id == "T0822")
    }

    @Test func internetEgressAndExternalDNSNameTheDestination() throws {
        let (alerts, _) = try Self.alerts("dns-cache-names-a-later-flow")
        #expect(Set(alerts.map(\.kind)) == [.externalDNS, .internetEgress, .zoneViolation])
        let egress = alerts.first { $0.kind == .internetEgress }
        #expect(egress?.signature.contains("www.facebook.com") == true && egress?.fromZone == "iot")
        #expect(alerts.first { $0.kind == .externalDNS }?.signature.contains("resolved www.facebook.com") == true)
    }

    @Test func nearMissesRaiseNothing() throws {
        // Modbus polling from supervisory to control (an allowed conduit), S7comm setup and reads
        // likewise, local names resolved inside a zone: no alert. (HTTP requests without credentials
        // raise no cleartext alert: only the zone violation of HTTP into the control zone.)
        #expect(try Self.alerts("s7comm-linux-cooked").alerts.isEmpty)
        #expect(try Self.alerts("dns-over-tcp-two-messages").alerts.isEmpty)
        #expect(try Self.alerts("http-pipelining").alerts.map(\.kind) == [.zoneViolation])
        #expect(try Self.alerts("mqtt-message-across-segments").alerts.isEmpty)  // MQTT without a password
    }

    @Test func criticalOperationsWithTheirTechnique() throws {
        let stop = try Self.alerts("s7comm-cotp-segmentation").alerts
        #expect(stop.map(\.kind) == [.criticalOperation] && stop[0].technique?.id == "T0858" && stop[0].signature.contains("PLC STOP"))
        let restart = try Self.alerts("dnp3-over-udp").alerts
        #expect(restart.map(\.kind) == [.criticalOperation] && restart[0].technique?.id == "T0816" && restart[0].signature.contains("COLD_RESTART"))
        // The sample plant's engineering station forces a PLC into listen-only mode (FC 8/4).
        let plant = try Self.alerts("samples/sample-plant.pcap").alerts
        #expect(plant.map(\.kind) == [.criticalOperation] && plant[0].signature.contains("listen-only"))
    }

    @Test func cleartextCredentialsNameTheUserNeverThePassword() throws {
        // (HTTP into the control zone is also a zone violation under the sample config.)
        let http = try Self.alerts("http-basic-auth").alerts.filter { $0.kind != .zoneViolation }
        #expect(http.map(\.kind) == [.cleartextCredentials] && http[0].signature.contains("'admin'"))
        #expect(!http[0].signature.contains("Sup3rSecret"))
        let mqtt = try Self.alerts("mqtt5-properties").alerts
        #expect(mqtt.map(\.kind) == [.cleartextCredentials] && mqtt[0].signature.contains("'sensor7'"))
        #expect(!mqtt[0].signature.contains("hunter2"))
    }
}
