import SpanwatchProtocols
import Foundation
import SpanwatchFlow
import SpanwatchWire
import Testing

/// Agreement with tshark (../shared/pcaps/expected, written by oracle.py): per capture, S7comm
/// PDUs per (ROSCTR, function) — userdata per (function group, sub-function) — and COTP
/// connection requests and confirms must equal tshark's counts. S7comm-plus is left out:
/// tshark 4.0 has no dissector for it.
///
/// Userdata of function group 0 (mode transition) has no sub-function in tshark: that byte is
/// the CPU's new mode, and spanwatch writes it as `current_mode`.
@Suite struct S7CommOracleTests {
    static let explainedDifferences: [String: (differences: [String], reason: String)] = [
        "s7comm/s7comm-clean.pcap": (["rosctr 3 fc4: tshark 2625, spanwatch 2637"],
            "twelve READ_VAR ack-data segments (frames 398, 412, 1273, ...) arrive after the client has acknowledged them: "
            + "their first copy was never captured. tshark calls them spurious retransmissions and skips them; they are "
            + "the only copy the sensor saw."),
    ]

    static var captures: [String] {
        SharedCorpus.captures(in: "s7comm") + SharedCorpus.captures(in: "edge") + SharedCorpus.captures(in: "mixed")
    }

    static func tsharkCounts(_ capture: String) throws -> [String: Int] {
        var counts = [String: Int]()
        for object in try Oracle.tsharkRecords(capture, protocols: ["s7comm", "cotp"]) {
            switch object["proto"] as? String {
            case "s7comm":
                let rosctr = object["rosctr"] as? Int ?? -1
                if rosctr == 7 {
                    let group = object["ud_funcgroup"] as? Int ?? -1
                    let sub = object["ud_subfunc"] as? Int
                    counts["userdata group \(group) sub \(sub.map(String.init) ?? "-")", default: 0] += 1
                } else {
                    counts["rosctr \(rosctr) fc\((object["func"] as? Int).map(String.init) ?? "-")", default: 0] += 1
                }
            case "cotp":
                let tpdu = object["tpdu"] as? Int ?? 0
                if tpdu == 0xE || tpdu == 0xD { counts["cotp \(tpdu == 0xE ? "CR" : "CC")", default: 0] += 1 }
            default:
                continue
            }
        }
        return counts
    }

    static func spanwatchCounts(_ capture: String) throws -> [String: Int] {
        var counts = [String: Int]()
        for record in try Oracle.events(capture) {
            if let event = record.body.application(as: S7Event.self) {
                guard case .s7comm(let pdu) = event.payload else { continue }
                if pdu.rosctr == 7 {
                    let sub = pdu.functionGroup == 0 ? "-" : String(pdu.subfunction)
                    counts["userdata group \(pdu.functionGroup) sub \(sub)", default: 0] += 1
                } else {
                    counts["rosctr \(pdu.rosctr) fc\(pdu.hasFunction ? String(pdu.function) : "-")", default: 0] += 1
                }
            } else if let event = record.body.application(as: COTPEvent.self) {
                if event.header.type == .connectionRequest { counts["cotp CR", default: 0] += 1 }
                if event.header.type == .connectionConfirm { counts["cotp CC", default: 0] += 1 }
            }
        }
        return counts
    }

    @Test(.enabled(if: SharedCorpus.pcaps != nil, "../shared/pcaps is absent: tshark agreement not checked"), arguments: captures)
    func agreesWithTshark(capture: String) throws {
        let expected = try Self.tsharkCounts(capture)
        let actual = try Self.spanwatchCounts(capture)
        Oracle.expectAgreement(capture, tshark: expected, spanwatch: actual, explained: Self.explainedDifferences[capture])
    }
}
