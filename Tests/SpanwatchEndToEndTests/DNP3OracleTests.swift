import SpanwatchProtocols
import Foundation
import SpanwatchFlow
import SpanwatchWire
import Testing

/// Agreement with tshark (../shared/pcaps/expected, written by oracle.py): per capture, DNP3
/// application fragments per (function code, object headers) must equal tshark's counts.
///
/// How the two are put side by side:
/// - tshark writes a record per link frame; a fragment is the record that carries `func`.
/// - Object lists are compared as "g<group>v<variation>". tshark writes variation 0 for the
///   octet-string groups and virtual-terminal output (110-112: there the variation is a length;
///   it keeps it for the virtual-terminal event, 113).
/// - A fragment tshark flags malformed, or that spanwatch could not walk to its end, counts as
///   "MALFORMED": both then stop trusting the object list, at different places.
/// - tshark does not dissect the objects of STOP_APPL, ASSIGN_CLASS and the authentication
///   functions (18, 22, 32, 131): for these only the function is compared.
@Suite struct DNP3OracleTests {
    static let functionsWithoutObjectsInTshark: Set<Int> = [18, 22, 32, 131]
    static let keptObjects = DNP3Fragment.objectCapacity

    static let explainedDifferences: [String: (differences: [String], reason: String)] = [
        "dnp3/dataset-capture-large.pcap": ([
            "fc0 : tshark 564, spanwatch 546", "fc129 : tshark 3890, spanwatch 3904",
            "fc129 g1v2,g3v2,g20v1,g21v1,g30v5,g30v1,g10v2,g40v1: tshark 1067, spanwatch 1093", "fc130 : tshark 544, spanwatch 546"],
            "tshark's transport reassembly does not follow the sequence number from 63 back to 0 (frames 568-570, 4231-4240): "
            + "it drops those multi-segment responses and reads the first segment of the next fragment as a CONFIRM. "
            + "Eleven client segments reuse sequence numbers with different bytes (frame 21889): tshark skips them as "
            + "retransmissions, spanwatch keeps the first copy and reports the overlap and the unframeable rest."),
        "dnp3/icsnpp-dnp3-example.pcap": ([
            "fc0 : tshark 1, spanwatch 0", "fc129 g12v1: tshark 266, spanwatch 267",
            "fc129 g1v2,g10v2,g30v2,g40v2: tshark 94, spanwatch 97", "fc130 g2v2: tshark 3, spanwatch 4"],
            "the same transport sequence wrap (frames 808-810, segments 62, 63, 0): tshark does not reassemble across it "
            + "and reads frame 311 (transport sequence 0, application function 0x81) as a CONFIRM."),
        "dnp3/digitalbond-test-data.pcap": (["fc21 MALFORMED: tshark 0, spanwatch 2", "fc21 g60v2,g60v3,g60v4: tshark 7, spanwatch 5"],
            "frames 154 and 156 carry a qualifier 0xED: reserved bit set and range code 13, which the standard does not define. "
            + "tshark reads it as zero items and does not flag it; spanwatch stops there (dnp3.unknown_object)."),
        "dnp3/iti-dataset-exchange.pcap": (["fc129 MALFORMED: tshark 1, spanwatch 0", "fc129 g86v1: tshark 0, spanwatch 1"],
            "a data set descriptor (g86v1) in free format: spanwatch skips it by its size prefix; tshark's g86 dissection "
            + "flags it malformed."),
        "dnp3/iti-operate-aggressive-mode.pcap": (["fc5 g120v3: tshark 1, spanwatch 0", "fc5 g120v3,g12v1,g120v9: tshark 0, spanwatch 1"],
            "secure authentication aggressive mode: g120v3 (6 bytes), then the CROB, then the MAC (g120v9). tshark stops "
            + "after the first object; spanwatch walks all three."),
        "dnp3/iti-write-vto-empty-string.pcap": ([
            "fc2 MALFORMED: tshark 1, spanwatch 0",
            "fc2 g112v0,g112v0,g112v0,g112v0,g112v0,g112v0,g112v0,g112v0,g112v0,g112v0,g112v0,g112v0,g112v0,g112v0,g112v0,g112v0+269: tshark 0, spanwatch 1"],
            "285 headers of virtual-terminal objects of length 0 over indexes 0-65535: well formed, if absurd. tshark gives "
            + "up after the first; spanwatch reads all of them (in one step each: empty objects cost nothing)."),
        "edge/dnp3-malformed-openics.pcap": (["fc4 MALFORMED: tshark 194, spanwatch 197", "fc4 g12v1,g0v0,g3v1: tshark 3, spanwatch 0"],
            "a fuzzed capture: in three fragments tshark reads garbage after the CROB as g0v0 and g3v1 objects without "
            + "flagging them; spanwatch stops at the bad range (dnp3.bad_object_range)."),
    ]

    static var captures: [String] {
        SharedCorpus.captures(in: "dnp3") + SharedCorpus.captures(in: "edge") + SharedCorpus.captures(in: "mixed")
    }

    static func key(function: Int, objects: [String], malformed: Bool) -> String {
        if functionsWithoutObjectsInTshark.contains(function) { return "fc\(function) " }
        if malformed { return "fc\(function) MALFORMED" }
        let kept = objects.prefix(keptObjects).joined(separator: ",")
        return "fc\(function) " + kept + (objects.count > keptObjects ? "+\(objects.count - keptObjects)" : "")
    }

    static func tsharkCounts(_ capture: String) throws -> [String: Int] {
        var counts = [String: Int]()
        for object in try Oracle.tsharkRecords(capture, protocols: ["dnp3"]) {
            guard let function = object["func"] as? Int else { continue }
            let objects = object["objects"] as? [String] ?? []
            counts[key(function: function, objects: objects, malformed: object["malformed"] as? Bool ?? false), default: 0] += 1
        }
        return counts
    }

    static func spanwatchCounts(_ capture: String) throws -> [String: Int] {
        var counts = [String: Int]()
        for record in try Oracle.events(capture) {
            guard let event = record.body.application(as: DNP3Event.self) else { continue }
            let fragment = event.fragment
            var objects = (0..<fragment.keptObjectCount).map { index -> String in
                let object = fragment.objects[index]
                return "g\(object.group)v\((110...112).contains(object.group) ? 0 : object.variation)"
            }
            objects += Array(repeating: "?", count: fragment.objectCount - fragment.keptObjectCount)
            counts[key(function: Int(fragment.function.rawValue), objects: objects, malformed: !fragment.complete), default: 0] += 1
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
