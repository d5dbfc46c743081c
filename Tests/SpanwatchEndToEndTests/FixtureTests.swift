import SpanwatchProtocols
import Foundation
import SpanwatchApp
import SpanwatchCapture
import SpanwatchFlow
import SpanwatchOutput
import Testing

/// Golden tests: each folder under Fixtures/ holds a capture, its README (what it proves) and
/// the reviewed JSON lines spanwatch must write for it, byte for byte.
@Suite struct FixtureTests {
    final class BufferSink: BoxingEventSink {
        let formatter = EveFormatter(sensorName: "spanwatch")
        var output: [UInt8] = []
        func emit(_ context: EventContext, _ body: EventBody) {
            formatter.render(context, body) { output.append(contentsOf: $0) }
        }
    }

    static let folder = SharedCorpus.repositoryRoot.appendingPathComponent("Tests/SpanwatchEndToEndTests/Fixtures")

    static var names: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
    }

    static func decode(_ name: String) throws -> (lines: [String], readError: String?) {
        let dir = folder.appendingPathComponent(name)
        let file = try FileManager.default.contentsOfDirectory(atPath: dir.path).first { $0.hasPrefix("capture.") }!
        let handle = try PcapHandle.openOffline(path: dir.appendingPathComponent(file).path)
        let sink = BufferSink()
        let processor = PacketProcessor(configuration: EngineConfiguration(), sink: sink)
        let summary = CaptureRunner.runOffline([handle], processor: processor)
        let text = String(decoding: sink.output, as: UTF8.self)
        return (text.split(separator: "\n").map(String.init), summary.readErrors.first)
    }

    @Test(arguments: names)
    func matchesExpectedLines(name: String) throws {
        let expectedText = try String(contentsOf: Self.folder.appendingPathComponent(name).appendingPathComponent("expected.jsonl"), encoding: .utf8)
        let expected = expectedText.split(separator: "\n").map(String.init)
        let (actual, _) = try Self.decode(name)
        #expect(actual == expected)
        for line in actual {
            // Every line is a JSON object with the envelope the contract requires.
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["timestamp"] as? String != nil && object?["event_type"] as? String != nil)
            #expect((object?["flow_id"] as? Int).map { $0 > 0 && $0 < 1 << 51 } ?? true)
        }
    }

    @Test func overlapWithDifferentDataKeepsFirstCopyAndRaisesAnomaly() throws {
        let (lines, _) = try Self.decode("tcp-overlap-different-data")
        #expect(lines.contains { $0.contains("\"event\":\"stream.reassembly_overlap_different_data\"") })
        let modbus = lines.filter { $0.contains("\"event_type\":\"modbus\"") }
        #expect(modbus.count == 1)
        #expect(modbus.first?.contains("\"values\":[1]") == true)  // not 0xDEAD = 57005
        #expect(modbus.first?.contains("57005") == false)
    }

    @Test func retransmissionWithSameBytesIsSilent() throws {
        let (lines, _) = try Self.decode("tcp-retransmission")
        #expect(lines.filter { $0.contains("\"event_type\":\"modbus\"") }.count == 1)
        #expect(!lines.contains { $0.contains("\"event_type\":\"anomaly\"") })
    }

    @Test func gapIsReportedAndParserResynchronises() throws {
        let (lines, _) = try Self.decode("tcp-gap-resync")
        #expect(lines.contains { $0.contains("stream.reassembly_gap") })
        #expect(lines.contains { $0.contains("\"request\":{\"transaction_id\":3,") && $0.contains("\"response\":{\"transaction_id\":3,") })
    }

    @Test func truncatedFileYieldsEverythingBeforeTheDamage() throws {
        let (lines, readError) = try Self.decode("truncated-file")
        #expect(readError?.contains("truncated") == true)
        #expect(lines.filter { $0.contains("\"event_type\":\"modbus\"") }.count == 2)
    }

    @Test func linkTypesAllGiveTheSameTransaction() throws {
        for name in ["modbus-linux-cooked", "modbus-linux-cooked-v2", "modbus-pcapng", "modbus-qinq"] {
            let (lines, _) = try Self.decode(name)
            let modbus = lines.filter { $0.contains("\"event_type\":\"modbus\"") }
            #expect(modbus.count == 1, "\(name)")
            #expect(modbus.first?.contains("\"src_ip\":\"10.10.1.10\",\"src_port\":") == true, "\(name)")
        }
    }
}

@Suite struct CredentialTests {
    /// The Basic-auth fixture's password, in clear or base64, appears nowhere in the output.
    @Test func basicAuthPasswordIsNeverWritten() throws {
        let (lines, _) = try FixtureTests.decode("http-basic-auth")
        let output = lines.joined(separator: "\n")
        #expect(output.contains("\"username\":\"admin\""))
        #expect(!output.contains("Sup3rSecret"))
        #expect(!output.contains("U3VwM3JTZWNyZXQ"))
        #expect(!output.contains("YWRtaW46U3VwM3JTZWNyZXQh"))
    }
}
