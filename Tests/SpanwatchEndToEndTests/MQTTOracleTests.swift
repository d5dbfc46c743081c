import SpanwatchProtocols
import Foundation
import SpanwatchFlow
import SpanwatchWire
import Testing

/// Agreement with tshark (../shared/pcaps/expected, written by oracle.py) on every capture of the
/// protocol's folder, of mixed/ and of edge/: per capture, MQTT
/// messages per type must equal tshark's counts.
@Suite struct MQTTOracleTests {
    static let explainedDifferences: [String: (differences: [String], reason: String)] = [
        "edge/pcapng-multi-linktype-mqtt.pcapng": ([
            "type 1: tshark 2, spanwatch 0", "type 12: tshark 5, spanwatch 0", "type 13: tshark 5, spanwatch 0",
            "type 14: tshark 1, spanwatch 0", "type 2: tshark 2, spanwatch 0", "type 3: tshark 3, spanwatch 0",
            "type 8: tshark 1, spanwatch 0", "type 9: tshark 1, spanwatch 0"],
            "a pcapng whose eight interfaces have different link types and snapshot lengths: libpcap refuses to read it "
            + "(spanwatch reports the read error and exits 1); tshark reads it."),
    ]

    static var captures: [String] {
        SharedCorpus.captures(in: "mqtt") + SharedCorpus.captures(in: "edge") + SharedCorpus.captures(in: "mixed")
    }

    static func tsharkCounts(_ capture: String) throws -> [String: Int] {
        var counts = [String: Int]()
        for object in try Oracle.tsharkRecords(capture, protocols: ["mqtt"]) {
            counts["type \((object["msgtype"] as? Int).map(String.init) ?? "-")", default: 0] += 1
        }
        return counts
    }

    static func spanwatchCounts(_ capture: String) throws -> [String: Int] {
        var counts = [String: Int]()
        for record in try Oracle.events(capture) {
            guard let event = record.body.application(as: MQTTEvent.self) else { continue }
            counts["type \(event.message.type)", default: 0] += 1
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
