import Foundation
import SpanwatchFlow
import SpanwatchProtocols
import SpanwatchWire
import Testing

/// Agreement with tshark (../shared/pcaps/expected, written by oracle.py): per capture, BVLC
/// messages over UDP per (BVLC function, APDU type, service) must equal tshark's counts; records
/// it calls malformed may be counted or not (as agree.py does). BACnet over Ethernet (no BVLC, no
/// IP) is tshark's alone: spanwatch follows IP flows.
@Suite struct BACnetOracleTests {
    static var captures: [String] {
        (SharedCorpus.captures(in: "bacnet") + SharedCorpus.captures(in: "mixed") + SharedCorpus.captures(in: "edge")).filter { capture in
            (try? Oracle.tsharkRecords(capture, protocols: ["bacnet"]).contains { $0["transport"] as? String == "udp" }) ?? false
        }
    }

    /// Differences that are tshark's reading, not ours.
    static let explainedDifferences: [String: Oracle.Explained] = [
        "bacnet/arkime-bacnet-stack-services.pcap": (["bvlc 10 apdu - service -: tshark 4, spanwatch 5", "bvlc 10 apdu 2 service 0: tshark 1, spanwatch 0"],
            "frame 1's NPDU has version 0x10 (not 1): spanwatch reports the BVLC message with an invalid_npdu anomaly and "
            + "no APDU; tshark reads past the bad version and decodes the bytes after it as a Simple-ACK."),
    ]

    static func key(_ function: Int?, _ type: Int?, _ service: Int?) -> String {
        "bvlc \(function.map(String.init) ?? "-") apdu \(type.map(String.init) ?? "-") service \(service.map(String.init) ?? "-")"
    }

    static func tsharkCounts(_ capture: String) throws -> (wellFormed: [String: Int], malformed: [String: Int]) {
        var wellFormed = [String: Int](), malformed = [String: Int]()
        for record in try Oracle.tsharkRecords(capture, protocols: ["bacnet"])
        where record["retrans"] as? Bool != true && record["transport"] as? String == "udp" {
            let key = key(record["bvlc_function"] as? Int, record["apdu_type"] as? Int, record["service"] as? Int)
            if record["malformed"] as? Bool == true { malformed[key, default: 0] += 1 } else { wellFormed[key, default: 0] += 1 }
        }
        return (wellFormed, malformed)
    }

    static func spanwatchCounts(_ capture: String) throws -> [String: Int] {
        var counts = [String: Int]()
        for record in try Oracle.events(capture) {
            guard let event = record.body.application(as: BACnetEvent.self) else { continue }
            let message = event.message
            counts[key(Int(message.function), message.hasAPDU ? Int(message.apduType) : nil, message.service.map(Int.init)), default: 0] += 1
        }
        return counts
    }

    @Test(.enabled(if: SharedCorpus.pcaps != nil, "../shared/pcaps is absent: tshark agreement not checked"), arguments: captures)
    func agreesWithTshark(capture: String) throws {
        let (wellFormed, malformed) = try Self.tsharkCounts(capture)
        Oracle.expectAgreement(capture, wellFormed: wellFormed, malformed: malformed, spanwatch: try Self.spanwatchCounts(capture),
                               explained: Self.explainedDifferences[capture])
    }

    @Test(.enabled(if: SharedCorpus.pcaps != nil, "../shared/pcaps is absent: tshark agreement not checked"))
    func theCorpusHasBACnet() {
        #expect(Self.captures.count >= 15)
    }
}
