import Foundation
import SpanwatchFlow
import SpanwatchProtocols
import Testing

/// A protocol is a folder: no file outside `Sources/SpanwatchProtocols/<Protocol>/` (and the
/// registry) names it, and the protocol list is written once (`scripts/protocol-footprint.py`).
@Suite struct ProtocolFootprintTests {
    @Test func everyProtocolStaysInItsFolder() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", SharedCorpus.repositoryRoot.appendingPathComponent("scripts/protocol-footprint.py").path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text)")
        // Every registered protocol counted, each with 0 files outside its folder.
        let counts = text.split(separator: "\n").filter { $0.wholeMatch(of: /\ \ \w+ \(\w+\): \d+/) != nil }
        #expect(counts.count == ProtocolRegistry.standard.protocols.count, "\(text)")
        #expect(counts.allSatisfy { $0.hasSuffix("): 0") }, "\(text)")
        #expect(text.contains("the registry: 1 list; elsewhere: 0"), "\(text)")
    }
}
