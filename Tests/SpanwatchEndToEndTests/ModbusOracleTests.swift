import Foundation
import SpanwatchFlow
import SpanwatchWire
import Testing

/// Agreement with tshark (../shared/pcaps/expected, written by oracle.py): per capture, Modbus
/// request and response ADUs per (function code, exception) must equal tshark's counts.
@Suite struct ModbusOracleTests {
    struct Key: Hashable, CustomStringConvertible {
        var kind: String  // request | response
        var function: Int
        var exception: Int?
        var description: String { "\(kind) fc\(function)" + (exception.map { " ex\($0)" } ?? "") }
    }

    /// Differences that are tshark's, not ours, with the reason. Keyed by capture.
    static let explainedDifferences: [String: String] = [:]

    static var captures: [String] {
        SharedCorpus.captures(in: "modbus") + SharedCorpus.captures(in: "mixed") + SharedCorpus.captures(in: "edge").filter { $0.contains("modbus") }
    }

    static func tsharkCounts(_ capture: String) throws -> [Key: Int] {
        let url = SharedCorpus.pcaps!.appendingPathComponent("expected").appendingPathComponent(capture + ".jsonl")
        let text = try String(contentsOf: url, encoding: .utf8)
        var counts = [Key: Int]()
        for line in text.split(separator: "\n") {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            guard object["proto"] as? String == "modbus", let function = object["func"] as? Int else { continue }
            let dst = object["dst"] as? String ?? ""
            // tshark calls an ADU a query when it goes to port 502.
            let kind = dst.hasSuffix(":502") ? "request" : "response"
            counts[Key(kind: kind, function: function, exception: object["exception"] as? Int), default: 0] += 1
        }
        return counts
    }

    static func spanwatchCounts(_ capture: String) throws -> [Key: Int] {
        let (sink, _) = try collectEvents(path: SharedCorpus.pcaps!.appendingPathComponent(capture).path)
        var counts = [Key: Int]()
        for record in sink.records {
            guard case .modbus(let transaction) = record.body else { continue }
            // tshark's request/response follows port 502; ours follows the flow's orientation.
            let reversed = record.flow?.clientPort == 502 && record.flow?.serverPort != 502
            for (pdu, isRequest) in [(transaction.request, true), (transaction.response, false)] {
                guard let pdu else { continue }
                let kind = isRequest != reversed ? "request" : "response"
                counts[Key(kind: kind, function: Int(pdu.function.rawValue), exception: pdu.isException ? Int(pdu.exceptionCode) : nil), default: 0] += 1
            }
        }
        return counts
    }

    @Test(arguments: captures)
    func agreesWithTshark(capture: String) throws {
        try #require(SharedCorpus.pcaps != nil, "../shared/pcaps is absent: tshark agreement not checked")
        let expected = try Self.tsharkCounts(capture)
        let actual = try Self.spanwatchCounts(capture)
        if let reason = Self.explainedDifferences[capture] {
            print("\(capture): difference explained: \(reason)")
            return
        }
        let keys = Set(expected.keys).union(actual.keys).sorted { $0.description < $1.description }
        let differences = keys.filter { expected[$0] != actual[$0] }
            .map { "\($0): tshark \(expected[$0] ?? 0), spanwatch \(actual[$0] ?? 0)" }
        #expect(differences.isEmpty, Comment(rawValue: "\(capture):\n" + differences.joined(separator: "\n")))
    }
}
