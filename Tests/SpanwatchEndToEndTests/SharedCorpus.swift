import SpanwatchProtocols
import Foundation
import SpanwatchCapture
import SpanwatchFlow
import SpanwatchWire
import Testing

/// Locates `../shared` beside the repository (tests skip, saying so, where it is absent).
enum SharedCorpus {
    static let repositoryRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static let root: URL? = {
        if let env = ProcessInfo.processInfo.environment["SPANWATCH_SHARED"] { return URL(fileURLWithPath: env) }
        let candidate = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared")
        return FileManager.default.fileExists(atPath: candidate.appendingPathComponent("pcaps").path) ? candidate : nil
    }()

    static var pcaps: URL? { root?.appendingPathComponent("pcaps") }

    static func captures(in folder: String) -> [String] {
        guard let pcaps else { return [] }
        let dir = pcaps.appendingPathComponent(folder)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted().map { "\(folder)/\($0)" }
    }
}

/// Runs the engine over a capture file and collects its events.
func collectEvents(path: String, configure: (inout EngineConfiguration) -> Void = { _ in }) throws -> (CollectingSink, CaptureSummaryForTests) {
    var configuration = EngineConfiguration()
    configure(&configuration)
    let sink = CollectingSink()
    let processor = PacketProcessor(configuration: configuration, sink: sink)
    let handle = try PcapHandle.openOffline(path: path)
    var count: UInt64 = 0
    var error: String? = nil
    while true {
        let outcome = handle.next { header, bytes in
            count += 1
            processor.process(bytes, linkType: handle.linkType, wireLength: header.wireLength,
                              timestamp: header.seconds * 1_000_000 + Int64(header.microseconds), pcapCount: count)
        }
        if outcome == .end { break }
        if case .error(let message) = outcome { error = message; break }
    }
    processor.finish()
    return (sink, CaptureSummaryForTests(frames: count, readError: error, counters: processor.counters, table: processor.table.counters))
}

struct CaptureSummaryForTests {
    var frames: UInt64
    var readError: String?
    var counters: EngineCounters
    var table: FlowTableCounters
}

/// What the oracle suites share: tshark's records for a capture, spanwatch's events for it, and
/// the comparison of two count tables against the differences a suite explains.
enum Oracle {
    typealias Explained = (differences: [String], reason: String)

    /// tshark's records (../shared/pcaps/expected/<capture>.jsonl) of one protocol.
    static func tsharkRecords(_ capture: String, protocols: Set<String>) throws -> [[String: Any]] {
        let url = SharedCorpus.pcaps!.appendingPathComponent("expected").appendingPathComponent(capture + ".jsonl")
        return try String(contentsOf: url, encoding: .utf8).split(separator: "\n").compactMap { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            return protocols.contains(object["proto"] as? String ?? "") ? object : nil
        }
    }

    /// spanwatch's events for a shared capture; none for a capture whose link type libpcap's
    /// reader refuses (spanwatch reports it and exits 1).
    static func events(_ capture: String) throws -> [CollectingSink.Record] {
        do {
            return try collectEvents(path: SharedCorpus.pcaps!.appendingPathComponent(capture).path).0.records
        } catch let error as CaptureError where error.description.contains("unsupported link type") {
            return []
        }
    }

    /// Agreement where tshark marks some records malformed: per key, any spanwatch count between
    /// tshark's well-formed count and its count with the malformed records agrees (as agree.py).
    static func expectAgreement(_ capture: String, wellFormed: [String: Int], malformed: [String: Int], spanwatch actual: [String: Int],
                                explained: Explained?) {
        var expected = wellFormed
        for (key, extra) in malformed {
            let low = wellFormed[key] ?? 0
            expected[key] = min(max(actual[key] ?? 0, low), low + extra)
        }
        expectAgreement(capture, tshark: expected.filter { $0.value > 0 }, spanwatch: actual, explained: explained)
    }

    /// The counts must differ exactly as explained (or not at all).
    static func expectAgreement(_ capture: String, tshark expected: [String: Int], spanwatch actual: [String: Int],
                                explained: Explained?) {
        let keys = Set(expected.keys).union(actual.keys).sorted()
        let differences = keys.filter { expected[$0] != actual[$0] }
            .map { "\($0): tshark \(expected[$0] ?? 0), spanwatch \(actual[$0] ?? 0)" }
        #expect(differences == (explained?.differences ?? []),
                Comment(rawValue: "\(capture):\n" + differences.joined(separator: "\n") + (explained.map { "\nexplained: " + $0.reason } ?? "")))
    }
}
