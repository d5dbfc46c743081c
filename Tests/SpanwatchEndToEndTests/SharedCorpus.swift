import Foundation
import SpanwatchCapture
import SpanwatchFlow
import SpanwatchWire

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
