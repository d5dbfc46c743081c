import Foundation
import SpanwatchApp
import SpanwatchCapture
import SpanwatchFlow
import SpanwatchPolicy
import SpanwatchWire
import Testing

/// The baseline file: learned from captures of every protocol, written, read back, merged,
/// diffed, approved into, and refused (with its line) when broken.
@Suite struct BaselineFileTests {
    static func learn(_ paths: [String], configuration: SpanwatchConfiguration = SpanwatchConfiguration()) throws -> Baseline {
        let assembly = EngineAssembly(configuration: configuration, output: DiscardingSink(), baseline: .learn(merging: Baseline(), duration: nil) { _ in })
        _ = CaptureRunner.runOffline(try paths.map { try PcapHandle.openOffline(path: $0) }, processor: assembly.processor)
        return try #require(assembly.policy?.finishLearning())
    }

    static func fixture(_ name: String, _ file: String = "capture.pcap") -> String {
        FixtureTests.folder.appendingPathComponent(name).appendingPathComponent(file).path
    }

    static var everyProtocol: Baseline {
        get throws {
            try learn([fixture("s7comm-cotp-segmentation"), fixture("dnp3-over-udp"), fixture("dnp3-several-frames-in-one-segment"),
                       fixture("mqtt5-properties"), fixture("http-basic-auth"), fixture("dns-cache-names-a-later-flow"),
                       SharedCorpus.repositoryRoot.appendingPathComponent("samples/sample-plant.pcap").path])
        }
    }

    @Test func writeReadWriteGivesTheSameBytes() throws {
        let learned = try Self.everyProtocol
        let text = BaselineFile.render(learned)
        let read = try BaselineFile.parse(text, file: "baseline.yaml")
        #expect(BaselineFile.render(read) == text)
        #expect(read.keyLines() == learned.keyLines())
        // And through a file on disk, written atomically.
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("spanwatch-baseline-\(getpid()).yaml").path
        defer { unlink(path) }
        try BaselineFile.write(read, to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == text)
        #expect(!FileManager.default.fileExists(atPath: path + ".tmp.\(getpid())"))
    }

    @Test func learnsTheOperationsOfEveryProtocol() throws {
        let lines = Set(try Self.everyProtocol.keyLines())
        func has(_ fragment: String) -> Bool { lines.contains { $0.contains(fragment) } }
        // S7: the functions, the bytes written (DB1.DBB16, 40 bytes) and the PI service.
        #expect(has("tcp/102 s7comm | s7comm.function WRITE_VAR"))
        #expect(has("tcp/102 s7comm | s7comm.write DB1 16-55"))
        #expect(has("tcp/102 s7comm | s7comm.function PLC_STOP"))
        // DNP3 over UDP: link addresses master>outstation, functions by name, object groups.
        #expect(has("udp/20000 dnp3 | dnp3.function COLD_RESTART"))
        #expect(has("dnp3 | dnp3.group 60"))
        #expect(has("dnp3 | dnp3.link "))
        // MQTT: client id and topics; HTTP: method and host.
        #expect(has("tcp/1883 mqtt | mqtt.client_id "))
        #expect(has("tcp/1883 mqtt | mqtt.publish "))
        #expect(has("http | http.method GET"))
        // Modbus: unit, functions, ranges; identity from FC 43/14; roles; polling cycles.
        #expect(has("modbus | modbus.write holding_registers 300-301"))
        #expect(lines.contains("host 10.10.2.20 | identity vendor Schneider Electric"))
        #expect(lines.contains("host 10.10.2.20 | role modbus_server"))
        #expect(lines.contains { $0.hasPrefix("edge 10.10.1.10 > 10.10.2.20 tcp/502 modbus | polling 999 ms") })
        // DNS names per client.
        #expect(lines.contains("dns 10.30.1.7 www.facebook.com"))
    }

    @Test func aBrokenBaselineNamesItsLine() throws {
        let good = BaselineFile.render(try Self.everyProtocol)
        let cases: [(String, String, String)] = [
            ("version: 1\nhosts:\n  - address: 10.0.0.300\n", "baseline.yaml:3", "not an IP address"),
            ("version: 1\nedges:\n  - edge: \"10.0.0.1 to 10.0.0.2\"\n", "baseline.yaml:3", "is not 'CLIENT > SERVER"),
            ("version: 1\nedges:\n  - edge: \"10.0.0.1 > 10.0.0.2 tcp/502 modbus\"\n    modbus:\n      functions: [3, 300]\n", "baseline.yaml:5", "values must be 0-255"),
            ("version: 1\nedges:\n  - edge: \"10.0.0.1 > 10.0.0.2 tcp/502 modbus\"\n    modbus:\n      writes:\n        holding_registers: [\"9-3\"]\n",
             "baseline.yaml:6", "invalid range '9-3'"),
            ("version: 1\nedges:\n  - edge: \"10.0.0.1 > 10.0.0.2 tcp/502 modbus\"\n    colour: red\n", "baseline.yaml:4", "unknown key 'edges[0].colour'"),
            ("version: 2\n", "baseline.yaml:1", "'version' must be 1"),
            ("hosts: []\n", "baseline.yaml", "missing key 'version'"),
            ("version: 1\nhosts: [\n", "baseline.yaml", "not valid YAML"),
            ("version: 1\ndns:\n  - client: 10.0.0.1\n    names: [a.example]\n  - client: 10.0.0.1\n    names: {b: c}\n", "baseline.yaml:6", "must be a list"),
            (good.replacingOccurrences(of: "polling: {period_ms: 999", with: "polling: {period_ms: -5"), "baseline.yaml:", "period_ms' must be positive"),
        ]
        for (text, place, problem) in cases {
            do {
                _ = try BaselineFile.parse(text, file: "baseline.yaml")
                Issue.record("accepted: \(text)")
            } catch {
                #expect(error.description.hasPrefix(place), "\(error.description)")
                #expect(error.description.contains(problem), "\(error.description)")
            }
        }
    }

    @Test func handEditsReadBack() throws {
        // A reviewer writes single values, ranges and function names by hand.
        let text = """
        version: 1
        hosts:
          - address: 10.0.1.10
            macs: ["00:1B:1B:00:00:01"]
            identity: {firmware: V3.2.6}
        edges:
          - edge: "10.0.2.20 > 10.0.1.10 tcp/502 modbus"
            modbus:
              units: [1]
              functions: [3, 16]
              writes: {holding_registers: [100, "110-119"]}
          - edge: "10.0.2.20 > 10.0.1.11 tcp/20000 dnp3"
            dnp3: {functions: [READ, 5], writes: {g12: ["0-3"]}}
        dns: []

        """
        let baseline = try BaselineFile.parse(text, file: "hand.yaml")
        let edge = try #require(baseline.edges[EdgeKey.parse("10.0.2.20 > 10.0.1.10 tcp/502 modbus")!])
        #expect(edge.modbus.writes[.holdingRegisters]?.ranges == [100...100, 110...119])
        #expect(edge.allows(.modbusWrite(.holdingRegisters, 112...113)) && !edge.allows(.modbusWrite(.holdingRegisters, 101...101)))
        #expect(baseline.edges[EdgeKey.parse("10.0.2.20 > 10.0.1.11 tcp/20000 dnp3")!]?.dnp3.functions == [1, 5])
        #expect(baseline.hosts[IPAddress("10.0.1.10")!]?.macs == [MACAddress("00:1b:1b:00:00:01")!])
    }

    @Test func mergeExtendsAndRelearningTheSameTrafficChangesNothing() throws {
        let plant = SharedCorpus.repositoryRoot.appendingPathComponent("samples/sample-plant.pcap").path
        let first = try Self.learn([plant])
        var merged = first
        merged.merge(try Self.learn([plant]))
        #expect(merged.keyLines() == first.keyLines())  // a diff of nothing
        merged.merge(try Self.learn([Self.fixture("s7comm-cotp-segmentation")]))
        let added = Set(merged.keyLines()).subtracting(first.keyLines())
        #expect(added.contains("edge 10.10.1.50 > 10.10.2.40 tcp/102 s7comm"))
        #expect(Set(first.keyLines()).isSubset(of: Set(merged.keyLines())))
    }
}
