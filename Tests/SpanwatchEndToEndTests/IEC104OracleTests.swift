import Foundation
import SpanwatchFlow
import SpanwatchProtocols
import SpanwatchWire
import Testing

/// Agreement with tshark (../shared/pcaps/expected, written by oracle.py): per capture, APDUs per
/// (APCI type, ASDU type id, cause of transmission) must equal tshark's counts. Records tshark
/// marks as retransmissions are left out (a monitor reads a byte once); records it calls
/// malformed may be counted or not (as agree.py does: between its well-formed count and all).
@Suite struct IEC104OracleTests {
    static var captures: [String] {
        SharedCorpus.captures(in: "iec104")
            + (SharedCorpus.captures(in: "mixed") + SharedCorpus.captures(in: "edge") + SharedCorpus.captures(in: "tunnels")).filter { capture in
                (try? Oracle.tsharkRecords(capture, protocols: ["iec104"]).isEmpty == false) ?? false
            }
    }

    static func key(_ apci: String?, _ type: Int?, _ cause: Int?) -> String {
        "\(apci ?? "?") type \(type.map(String.init) ?? "-") cot \(cause.map(String.init) ?? "-")"
    }

    static func tsharkCounts(_ capture: String) throws -> (wellFormed: [String: Int], malformed: [String: Int]) {
        var wellFormed = [String: Int](), malformed = [String: Int]()
        for record in try Oracle.tsharkRecords(capture, protocols: ["iec104"]) where record["retrans"] as? Bool != true {
            let key = key(record["apci_type"] as? String, record["type_id"] as? Int, record["cot"] as? Int)
            if record["malformed"] as? Bool == true { malformed[key, default: 0] += 1 } else { wellFormed[key, default: 0] += 1 }
        }
        return (wellFormed, malformed)
    }

    static func spanwatchCounts(_ capture: String) throws -> [String: Int] {
        var counts = [String: Int]()
        for record in try Oracle.events(capture) {
            guard let event = record.body.application(as: IEC104Event.self) else { continue }
            let asdu = event.apdu.asdu
            let cause = asdu.flatMap { $0.headerBytes >= 3 ? Int($0.cause) : nil }
            counts[key(event.apdu.format.rawValue, asdu.map { Int($0.typeID) }, cause), default: 0] += 1
        }
        return counts
    }

    @Test(.enabled(if: SharedCorpus.pcaps != nil, "../shared/pcaps is absent: tshark agreement not checked"), arguments: captures)
    func agreesWithTshark(capture: String) throws {
        let (wellFormed, malformed) = try Self.tsharkCounts(capture)
        Oracle.expectAgreement(capture, wellFormed: wellFormed, malformed: malformed, spanwatch: try Self.spanwatchCounts(capture),
                               explained: nil)
    }

    @Test(.enabled(if: SharedCorpus.pcaps != nil, "../shared/pcaps is absent: tshark agreement not checked"))
    func theCorpusHasIEC104() {
        #expect(Self.captures.count >= 22)
    }
}
