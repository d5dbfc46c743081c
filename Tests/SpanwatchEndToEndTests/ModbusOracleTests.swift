import SpanwatchProtocols
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

    /// Differences that are tshark's, not ours: the exact differences expected, and why.
    /// Anything else (or any of these going away) fails the test.
    static let explainedDifferences: [String: (differences: [String], reason: String)] = [
        "modbus/zeek-modbus-big.pcap": (["response fc1: tshark 1387, spanwatch 1388"],
            "frame 3150 carries the response to transaction 50382; its first copy was never captured (frame 3149 ACKs it). "
            + "tshark calls 3150 a spurious retransmission and skips it; it is the only copy the sensor saw."),
        "mixed/plant1-modbus-s7comm-enip.pcap": ([
            "request fc4: tshark 584, spanwatch 588", "response fc2: tshark 361, spanwatch 362",
            "response fc4: tshark 585, spanwatch 587"],
            "frames 1131 and 13132 retransmit an earlier request and append new requests in the same segment; tshark "
            + "marks the whole segment a retransmission and reads none of the new bytes. Responses that arrive out of "
            + "order (frame 3674 fills the hole before frame 3008) are reassembled by spanwatch, skipped by tshark."),
        "edge/modbus-fuzz-1011.pcap": (["response fc4: tshark 2, spanwatch 3"],
            "packets are minutes apart, beyond the 30 s embryonic-flow timeout, so frame 4 starts a new flow picked up "
            + "midstream; tshark, which has no flow timeouts, calls it a retransmission of frame 3."),
        "edge/modbus-fuzz-72.pcap": ([
            "request fc50: tshark 1, spanwatch 0", "response fc28 ex1: tshark 0, spanwatch 1",
            "response fc47 ex1: tshark 0, spanwatch 1", "response fc51 ex1: tshark 0, spanwatch 1",
            "response fc54 ex1: tshark 0, spanwatch 1", "response fc58 ex1: tshark 0, spanwatch 1",
            "response fc59 ex1: tshark 0, spanwatch 1"],
            "a fuzzed capture whose TCP sequence numbers are mutated: reassembly orders bytes by sequence number, as the "
            + "receiving stack would, and so cuts different ADUs than tshark, which reads each segment on its own; "
            + "tshark also misreads exception responses (0x80 bit) in this capture as plain function codes."),
    ]

    static var captures: [String] {
        SharedCorpus.captures(in: "modbus") + SharedCorpus.captures(in: "mixed") + SharedCorpus.captures(in: "edge").filter { $0.contains("modbus") }
    }

    static func tsharkCounts(_ capture: String) throws -> [Key: Int] {
        var counts = [Key: Int]()
        for object in try Oracle.tsharkRecords(capture, protocols: ["modbus"]) {
            guard let function = object["func"] as? Int else { continue }
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
            guard let transaction = record.body.application(as: ModbusTransaction.self) else { continue }
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

    @Test(.enabled(if: SharedCorpus.pcaps != nil, "../shared/pcaps is absent: tshark agreement not checked"), arguments: captures)
    func agreesWithTshark(capture: String) throws {
        func byName(_ counts: [Key: Int]) -> [String: Int] {
            Dictionary(uniqueKeysWithValues: counts.map { ($0.key.description, $0.value) })
        }
        Oracle.expectAgreement(capture, tshark: byName(try Self.tsharkCounts(capture)), spanwatch: byName(try Self.spanwatchCounts(capture)),
                               explained: Self.explainedDifferences[capture])
    }
}
