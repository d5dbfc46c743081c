import SpanwatchProtocols
import Foundation
import SpanwatchFlow
import SpanwatchWire
import Testing

/// Agreement with tshark (../shared/pcaps/expected, written by oracle.py) on every capture of the
/// protocol's folder, of mixed/ and of edge/: per capture, DNS
/// messages (tshark's dns, mdns and llmnr records) per (query/response, first question's type,
/// header rcode) must equal tshark's counts.
@Suite struct DNSOracleTests {
    static let explainedDifferences: [String: (differences: [String], reason: String)] = [
        "dns/ripple20-caa-records.pcap": (["query -: tshark 6, spanwatch 0", "response AAAA NOERROR: tshark 79, spanwatch 80"],
            "Ripple20 attack traffic: after TCP gaps, tshark reads the bytes of four segments (frames 207, 231, 682, 708) as six "
            + "DNS messages, four of them flagged malformed; spanwatch reports the gap and dns.tcp_length_too_short and "
            + "resynchronises, and decodes one AAAA response tshark skips."),
        "edge/dns-bad-label.pcap": (["response - RCODE15: tshark 0, spanwatch 1", "response TYPE0 RCODE15: tshark 1, spanwatch 0"],
            "the only question's name is longer than 255 bytes: spanwatch reports dns.name_too_long and keeps no question; "
            + "tshark reads a question type 0 out of the bytes after it."),
        "edge/dns-fddi-tcp-inverse-query.pcap": (["query -: tshark 1, spanwatch 0", "response A NOERROR: tshark 1, spanwatch 0"], "an FDDI capture (link type 10): spanwatch does not decode FDDI framing."),
        "edge/dns-tcp-port-1053-huge-query.pcap": (["query TXT: tshark 1, spanwatch 0"],
            "DNS over TCP on port 1053 with a 16 KB query whose names are all longer than 255 bytes: off the DNS ports only a "
            + "well-formed message is taken for DNS; tshark was told the port is DNS (Decode As)."),
        "mixed/dns-http-malcolm.pcap": ([
            "query -: tshark 526, spanwatch 0", "query A: tshark 45, spanwatch 46", "query ANY: tshark 3, spanwatch 2",
            "query TYPE10754: tshark 1, spanwatch 0", "query TYPE12757: tshark 1, spanwatch 0",
            "query TYPE13230: tshark 1, spanwatch 0", "query TYPE13440: tshark 1, spanwatch 0",
            "query TYPE15513: tshark 1, spanwatch 0", "query TYPE16131: tshark 1, spanwatch 0",
            "query TYPE19757: tshark 1, spanwatch 0", "query TYPE23996: tshark 1, spanwatch 0",
            "query TYPE27420: tshark 1, spanwatch 0", "query TYPE28960: tshark 1, spanwatch 0",
            "query TYPE31950: tshark 1, spanwatch 0", "query TYPE33317: tshark 1, spanwatch 0",
            "query TYPE3450: tshark 1, spanwatch 0", "query TYPE35449: tshark 1, spanwatch 0",
            "query TYPE40150: tshark 1, spanwatch 0", "query TYPE42635: tshark 1, spanwatch 0",
            "query TYPE44814: tshark 1, spanwatch 0", "query TYPE45333: tshark 1, spanwatch 0",
            "query TYPE46484: tshark 1, spanwatch 0", "query TYPE49457: tshark 1, spanwatch 0",
            "query TYPE4980: tshark 1, spanwatch 0", "query TYPE51476: tshark 1, spanwatch 0",
            "query TYPE55199: tshark 1, spanwatch 0", "query TYPE56767: tshark 1, spanwatch 0",
            "query TYPE5696: tshark 1, spanwatch 0", "query TYPE5966: tshark 1, spanwatch 0",
            "query TYPE61585: tshark 1, spanwatch 0", "query TYPE63485: tshark 1, spanwatch 0",
            "query TYPE6889: tshark 1, spanwatch 0", "query TYPE7422: tshark 1, spanwatch 0",
            "query TYPE9587: tshark 2, spanwatch 0", "response - FORMERR: tshark 25, spanwatch 0",
            "response - NOERROR: tshark 25, spanwatch 0", "response - NOTAUTH: tshark 24, spanwatch 0",
            "response - NOTIMP: tshark 21, spanwatch 0", "response - NOTZONE: tshark 22, spanwatch 0",
            "response - NXDOMAIN: tshark 23, spanwatch 0", "response - NXRRSET: tshark 30, spanwatch 0",
            "response - RCODE11: tshark 26, spanwatch 0", "response - RCODE12: tshark 22, spanwatch 0",
            "response - RCODE13: tshark 30, spanwatch 0", "response - RCODE14: tshark 27, spanwatch 0",
            "response - RCODE15: tshark 31, spanwatch 2", "response - REFUSED: tshark 34, spanwatch 0",
            "response - SERVFAIL: tshark 20, spanwatch 0", "response - YXDOMAIN: tshark 31, spanwatch 0",
            "response - YXRRSET: tshark 26, spanwatch 0", "response A NOERROR: tshark 70, spanwatch 71",
            "response TYPE0 NOERROR: tshark 4, spanwatch 3", "response TYPE0 RCODE15: tshark 1, spanwatch 0",
            "response TYPE15488 RCODE13: tshark 1, spanwatch 0", "response TYPE19754 NOTIMP: tshark 1, spanwatch 0",
            "response TYPE25752 SERVFAIL: tshark 1, spanwatch 0", "response TYPE28295 REFUSED: tshark 1, spanwatch 0",
            "response TYPE29604 NOERROR: tshark 1, spanwatch 0", "response TYPE29886 NOTZONE: tshark 1, spanwatch 0",
            "response TYPE30598 NXRRSET: tshark 1, spanwatch 0", "response TYPE30605 NOTAUTH: tshark 1, spanwatch 0",
            "response TYPE33024 REFUSED: tshark 1, spanwatch 0", "response TYPE3333 NOERROR: tshark 1, spanwatch 0",
            "response TYPE35103 SERVFAIL: tshark 1, spanwatch 0", "response TYPE37591 RCODE12: tshark 1, spanwatch 0",
            "response TYPE3822 RCODE11: tshark 1, spanwatch 0", "response TYPE39225 NOTAUTH: tshark 1, spanwatch 0",
            "response TYPE43086 YXRRSET: tshark 1, spanwatch 0", "response TYPE43597 RCODE12: tshark 1, spanwatch 0",
            "response TYPE44457 RCODE13: tshark 1, spanwatch 0", "response TYPE48372 NXDOMAIN: tshark 1, spanwatch 0",
            "response TYPE507 RCODE15: tshark 1, spanwatch 0", "response TYPE50821 FORMERR: tshark 1, spanwatch 0",
            "response TYPE52933 RCODE11: tshark 1, spanwatch 0", "response TYPE65233 RCODE13: tshark 1, spanwatch 0",
            "response TYPE9514 RCODE12: tshark 1, spanwatch 0", "response TYPE9587 RCODE13: tshark 1, spanwatch 0"],
            "a generated capture: about a thousand DNS datagrams carry a UDP length of 65535 in 60-byte IP datagrams. "
            + "spanwatch, like Suricata, treats them as invalid (udp.invalid_length) and does not parse the payload; tshark "
            + "does, reading random question types out of them. The few other counts come from the capture's truncated and "
            + "malformed frames (ipv4.invalid_total_length, dns.name_pointer_loop), and one A response over TCP port 8053 "
            + "(frame 771) that spanwatch finds by its payload and tshark does not dissect as DNS."),
    ]

    static var captures: [String] {
        SharedCorpus.captures(in: "dns") + SharedCorpus.captures(in: "edge")
            + SharedCorpus.captures(in: "mixed")
    }

    static func key(response: Bool, qtype: UInt16?, rcode: UInt16?) -> String {
        (response ? "response " : "query ") + (qtype.map { DNS.typeName($0) } ?? "-") + (response ? " " + DNS.rcodeName(rcode ?? 0) : "")
    }

    static func tsharkCounts(_ capture: String) throws -> [String: Int] {
        var counts = [String: Int]()
        for object in try Oracle.tsharkRecords(capture, protocols: ["dns", "mdns", "llmnr"]) {
            let response = object["is_response"] as? Bool ?? false
            counts[key(response: response, qtype: (object["qtype"] as? Int).map { UInt16($0) },
                       rcode: (object["rcode"] as? Int).map { UInt16($0) }), default: 0] += 1
        }
        return counts
    }

    static func spanwatchCounts(_ capture: String) throws -> [String: Int] {
        var counts = [String: Int]()
        for record in try Oracle.events(capture) {
            guard let event = record.body.application(as: DNSEvent.self) else { continue }
            let message = event.message
            counts[key(response: message.isResponse, qtype: event.queries.first?.type, rcode: message.flags & 0x000F), default: 0] += 1
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
