import SpanwatchTestSupport
import SpanwatchProtocols
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

    /// A file written by the release before protocol folders (operations stored per protocol by
    /// hand) is read by today's generic vocabulary as the same facts, and written back the same.
    @Test func aFileOfTheEarlierReleaseMeansTheSame() throws {
        let folder = SharedCorpus.repositoryRoot.appendingPathComponent("Tests/SpanwatchEndToEndTests/BaselineFixtures/release-before-protocol-folders")
        func text(_ name: String) throws -> String { try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8) }
        let baseline = try BaselineFile.parse(try text("baseline.yaml"), file: "baseline.yaml")
        let keys = try text("keys.txt").split(separator: "\n").map(String.init).filter { !$0.hasPrefix("#") }
        #expect(baseline.keyLines() == keys)
        #expect(BaselineFile.render(baseline) == (try text("normalized.yaml")))
        // Approving what it already holds changes nothing; each key parses back to itself.
        var again = baseline
        for key in keys where !key.contains("| polling") { #expect(try again.approve(key) == false, "\(key)") }
        #expect(again == baseline)
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

/// Hand edits gone wrong: random damage to a real baseline file is either read or refused with a
/// file:line message, never a crash or a silently different baseline.
@Suite struct BaselineFileDamageTests {
    /// Knuth's MMIX linear congruential generator: deterministic damage, the same on every run.
    struct Mixer: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state ^ (state >> 29)
        }
    }

    @Test func damagedFilesAreReadOrRefusedWithALine() throws {
        let text = BaselineFile.render(try BaselineFileTests.everyProtocol)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let original = lines
        var random = Mixer(state: 42)
        var refused = 0
        var read = 0
        for _ in 0..<400 {
            lines = original
            let index = Int.random(in: 0..<lines.count, using: &random)
            switch Int.random(in: 0..<5, using: &random) {
            case 0: lines.remove(at: index)
            case 1: lines.insert(lines[Int.random(in: 0..<lines.count, using: &random)], at: index)
            case 2: lines[index] = "  " + lines[index]
            case 3:
                var characters = Array(lines[index])
                if !characters.isEmpty {
                    characters[Int.random(in: 0..<characters.count, using: &random)] = ["-", ":", "[", "\"", "9", "x", " ", ">"].randomElement(using: &random)!
                }
                lines[index] = String(characters)
            default: lines[index] = String(lines[index].prefix(Int.random(in: 0...max(0, lines[index].count), using: &random)))
            }
            do {
                let baseline = try BaselineFile.parse(lines.joined(separator: "\n"), file: "edited.yaml")
                // What was read renders and reads back to itself.
                #expect(try BaselineFile.parse(BaselineFile.render(baseline), file: "again.yaml").keyLines() == baseline.keyLines())
                read += 1
            } catch {
                #expect(error.description.hasPrefix("edited.yaml"), "\(error.description)")
                refused += 1
            }
        }
        #expect(refused > 50 && read > 50, "refused \(refused), read \(read)")
    }
}
