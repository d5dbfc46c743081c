import SpanwatchProtocols
import Foundation
import SpanwatchApp
import SpanwatchCapture
import SpanwatchFlow
import SpanwatchPolicy
import SpanwatchWire
import Testing

/// The main job on the bundled sample plant (real pymodbus, python-snap7, cpppo, c104 (lib60870),
/// bacpypes3, mosquitto, dnsmasq and http.server traffic between network namespaces;
/// scripts/sample-plant/): learn the first minute, monitor the rest. Every planted attack raises
/// its alert, and nothing else does.
@Suite struct SamplePlantTests {
    static let capture = SharedCorpus.repositoryRoot.appendingPathComponent("samples/plant/plant.pcap").path
    static let config = SharedCorpus.repositoryRoot.appendingPathComponent("samples/plant/spanwatch.yaml").path

    /// Learns for `seconds` of packet time, then monitors; returns the alerts (not aggregates) and
    /// the packet time of the first frame.
    static func run(learningFor seconds: Int64, configuration loaded: SpanwatchConfiguration? = nil) throws -> (alerts: [(time: Timestamp, alert: AlertEvent)], start: Timestamp) {
        let configuration = try loaded ?? SpanwatchConfiguration.load(path: config)
        let sink = CollectingSink()
        let assembly = EngineAssembly(configuration: configuration, output: sink,
                                      baseline: .learn(merging: Baseline(), duration: seconds * 1_000_000) { _ in })
        _ = CaptureRunner.runOffline([try PcapHandle.openOffline(path: capture)], processor: assembly.processor)
        let start = try #require(sink.records.map(\.timestamp).min())
        let alerts = sink.records.compactMap { record -> (Timestamp, AlertEvent)? in
            if case .alert(let alert) = record.body, alert.aggregate == nil { return (record.timestamp, alert) }
            return nil
        }
        return (alerts, start)
    }

    @Test func everyPlantedAttackIsFoundAndNothingElse() throws {
        let (alerts, start) = try Self.run(learningFor: 60)
        let found = alerts.map { "\($0.alert.kind.rawValue): \($0.alert.signature)" }
        func has(_ kind: AlertEvent.Kind, _ fragment: String) -> Bool {
            alerts.contains { $0.alert.kind == kind && $0.alert.signature.contains(fragment) }
        }
        #expect(has(.newHost, "new host: 10.10.1.99"), "\(found)")  // the laptop writing registers (65 s)
        #expect(has(.newFlow, "10.10.1.99 -> 10.10.2.20 (plc-1) tcp/502 modbus"))
        // What the laptop did on its flows outside the baseline: each write, with its values (65-69 s).
        let outside = "write on a flow outside the baseline: 10.10.1.99 -> "
        #expect(has(.newOperation, outside + "10.10.2.20 (plc-1) tcp/502 Modbus function 16 (WrMultRegs), Modbus write to holding_registers 100-101, values [0, 0]; 10.10.1.99 is not in the baseline"))
        #expect(has(.newOperation, outside + "10.10.2.20 (plc-1) tcp/502 Modbus function 6 (WrSingleReg), Modbus write to holding_registers 101, values [7]"))
        #expect(has(.newOperation, outside + "10.10.2.40 (s7-plc-3) tcp/102 S7 function WRITE_VAR, S7 write to DB1 bytes 2-3, values 0x0063"))
        #expect(has(.newOperation, outside + "10.40.0.10 (mqtt-broker) tcp/1883 MQTT publish to 'plant/line1/setpoint'"))
        #expect(has(.zoneViolation, "10.10.1.99 (supervisory) -> 10.40.0.10 (iot) tcp/1883"))
        // The engineering station writes a Logix tag it only ever read (68 s).
        #expect(has(.newOperation, "10.10.1.50 (eng-ws-1) -> 10.10.2.50 (logix-plc-4) tcp/44818 used CIP Write_Tag"))
        #expect(has(.externalDNS, "resolved www.facebook.com"))  // the HMI wants Facebook (70 s)
        #expect(has(.internetEgress, "reached 203.0.113.35 (www.facebook.com)"))
        #expect(has(.criticalOperation, "S7 PLC STOP from 10.10.1.50 (eng-ws-1)"))  // 75 s
        #expect(has(.criticalOperation, "S7 program download (DB 5) from 10.10.1.50 (eng-ws-1)"))  // 77 s
        #expect(has(.criticalOperation, "DNP3 COLD_RESTART from 10.20.1.5 (scada-master)"))  // 80 s
        #expect(has(.criticalOperation, "IEC 104 command C_SC_NA_1 from 10.20.1.5 (scada-master) to 10.20.2.31"))  // 82 s
        // The BMS workstation reinitializes the air handler (86 s); its Who-Is to the subnet's
        // directed broadcast (10.30.255.255, outside the building zone's /24) is no zone violation.
        #expect(has(.criticalOperation, "BACnet reinitialize-device from 10.30.1.10 (bms-ws) to 10.30.1.20 (ahu-1)"))
        #expect(has(.portScan, "10.10.1.99"))  // 85 s
        #expect(has(.cleartextCredentials, "HTTP Basic password for 'operator'"))  // 88 s
        #expect(has(.cleartextCredentials, "MQTT CONNECT password for 'sensor7'"))  // 90 s
        #expect(has(.deviceSilent, "10.10.2.21 (plc-2) has not answered"))  // 92 s
        // Nothing from the normal plant: the first alert is the first attack, and every alert
        // involves an attacker, the HMI's internet detour, or a planted command.
        let firstAttack = start + 64_000_000
        #expect(alerts.allSatisfy { $0.time >= firstAttack }, "\(alerts.filter { $0.time < firstAttack }.map(\.alert.signature))")
        #expect(!has(.deviceSilent, "plc-1"))
        #expect(alerts.count == 24, "\(found)")
    }

    /// The integrator's work, declared: a maintenance window over the engineering station from
    /// 70 s turns its PLC STOP and program download into informational alerts marked with the
    /// window (still written); a mute for the laptop's port scan marks it (still written, counted);
    /// every other alert is as it was.
    @Test func maintenanceAndMutesMarkWithoutDropping() throws {
        var first: Timestamp = 0
        _ = try PcapHandle.openOffline(path: Self.capture).next { header, _ in first = header.seconds * 1_000_000 + Int64(header.microseconds) }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("spanwatch-plant-marking-\(getpid())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "version: 1\nmutes:\n  - {name: pentest-laptop, kind: port_scan, src: 10.10.1.99, reason: authorised pentest, owner: soc}\n"
            .write(toFile: directory + "/mutes.yaml", atomically: true, encoding: .utf8)
        var text = try String(contentsOfFile: Self.config, encoding: .utf8)
        text = text.replacingOccurrences(of: "\nalerts:\n", with: "\nalerts:\n  mutes_file: \(directory)/mutes.yaml\n")
        text += "maintenance:\n  - name: integrator-download\n    hosts: [eng-ws-1]\n    start: \"\(Self.rfc3339(first + 70_000_000))\"\n"
            + "    duration: 10m\n    reason: S7 program change CHG-1234\n    owner: integrator\n"
        let configuration = try SpanwatchConfiguration.parse(text, file: "plant-with-maintenance.yaml")
        let plain = try Self.run(learningFor: 60).alerts.map(\.alert)
        let marked = try Self.run(learningFor: 60, configuration: configuration).alerts.map(\.alert)
        #expect(marked.map(\.signature) == plain.map(\.signature))  // nothing dropped, nothing added
        let maintenance = marked.filter { $0.maintenance != nil }
        #expect(maintenance.map(\.signature).sorted() == [
            "SPANWATCH critical operation: S7 PLC STOP from 10.10.1.50 (eng-ws-1) to 10.10.2.40 (s7-plc-3)",
            "SPANWATCH critical operation: S7 program download (DB 5) from 10.10.1.50 (eng-ws-1) to 10.10.2.40 (s7-plc-3)",
        ])
        #expect(maintenance.allSatisfy { $0.severity == 3 && $0.maintenance == "integrator-download" })
        // The engineering station's Logix write at 68 s came before the window: as it was.
        #expect(marked.contains { $0.signature.contains("eng-ws-1) -> 10.10.2.50") && $0.maintenance == nil && $0.severity == 1 })
        #expect(marked.filter { $0.muted == "pentest-laptop" }.map(\.kind) == [.portScan])
    }

    static func rfc3339(_ time: Timestamp) -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: Date(timeIntervalSince1970: Double(time / 1_000_000)))
    }

    /// No false positives: learning on a shorter stretch (40 s) and monitoring the normal traffic
    /// after it (40-64 s, before the first attack) raises nothing.
    @Test func aLaterStretchOfNormalTrafficRaisesNothing() throws {
        let (alerts, start) = try Self.run(learningFor: 40)
        let normal = alerts.filter { $0.time < start + 64_000_000 }
        #expect(normal.isEmpty, "\(normal.map(\.alert.signature))")
    }

    /// The asset inventory the traffic builds: every plant host once as new, then what it revealed.
    @Test func assetRecordsInventoryThePlant() throws {
        let configuration = try SpanwatchConfiguration.load(path: Self.config)
        let sink = CollectingSink()
        let assembly = EngineAssembly(configuration: configuration, output: sink)
        _ = CaptureRunner.runOffline([try PcapHandle.openOffline(path: Self.capture)], processor: assembly.processor)
        let assets = sink.records.compactMap { record -> AssetEvent? in
            if case .asset(let asset) = record.body { return asset }
            return nil
        }
        let new = assets.filter { $0.change == .new }.map(\.address.description)
        #expect(Set(new).count == new.count)  // each host once
        #expect(Set(new) == ["10.0.0.53", "10.10.1.10", "10.10.1.50", "10.10.1.80", "10.10.1.99", "10.10.2.20", "10.10.2.21",
                             "10.10.2.40", "10.10.2.50", "10.20.1.5", "10.20.2.30", "10.20.2.31", "10.30.1.10", "10.30.1.20",
                             "10.40.0.10", "10.40.1.7"])  // not 203.0.113.35 (outside) nor a broadcast address
        let plc = try #require(assets.last { $0.address == IPAddress("10.10.2.20") && $0.change == .identity })
        #expect(plc.identity.map { "\($0.field)=\($0.value)" } == ["product_code=BMX P34 2020", "revision=v3.10", "vendor=Schneider Electric"])
        #expect(plc.vendor == "Schneider Electric" && plc.roles == ["modbus_server"])
        #expect(assets.first { $0.address == IPAddress("10.20.2.30") }?.vendor == "Schweitzer Engineering Laboratories")
        // What the new protocols reveal: the Logix PLC's ListIdentity, the air handler's I-Am.
        let logix = try #require(assets.last { $0.address == IPAddress("10.10.2.50") && $0.change == .identity })
        #expect(logix.identity.contains { "\($0.field)" == "product" && $0.value == "1756-L61/B LOGIX5561" })
        #expect(logix.vendor == "Rockwell Automation" && logix.roles == ["enip_adapter"])
        let ahu = try #require(assets.last { $0.address == IPAddress("10.30.1.20") && $0.change == .identity })
        #expect(ahu.identity.contains { "\($0.field)" == "device_instance" && $0.value == "3056" })
        #expect(ahu.roles == ["bacnet_device"])
    }

    /// A capture with nothing lost reports no loss: the estimate does not cry wolf.
    @Test func aCompleteCaptureShowsNoCaptureLoss() throws {
        let configuration = try SpanwatchConfiguration.load(path: Self.config)
        let assembly = EngineAssembly(configuration: configuration, output: DiscardingSink())
        _ = CaptureRunner.runOffline([try PcapHandle.openOffline(path: Self.capture)], processor: assembly.processor)
        let counters = assembly.processor.counters
        #expect(counters.acknowledgements > 500)
        #expect(counters.acknowledgedUnseen == 0, "\(counters.acknowledgedUnseenBytes) bytes")
    }
}

