import SpanwatchProtocols
import Foundation
import SpanwatchFlow
import SpanwatchWire
import Testing

/// Agreement with tshark (../shared/pcaps/expected, written by oracle.py) on every capture of the
/// protocol's folder, of mixed/ and of edge/: per capture, HTTP
/// requests per method and responses per status must equal tshark's counts.
@Suite struct HTTPOracleTests {
    static let notDecapsulated = "the traffic is inside a link type spanwatch does not read yet (NFLOG)."
    static let explainedDifferences: [String: (differences: [String], reason: String)] = [
        "edge/http-mixed-vlan-mpls.pcap": (["request GET: tshark 2, spanwatch 1"],
            "frame 37 is an HTTP/0.9 request ('GET /' with no version, behind an F5 Ethernet trailer); its MPLS frames carry telnet, not HTTP."),
        "edge/http-nflog.pcap": (["request GET: tshark 1, spanwatch 0", "response 200: tshark 1, spanwatch 0"], notDecapsulated),
        "edge/http-query-method-port-4711.pcap": (["request QUERY: tshark 0, spanwatch 1"],
            "a QUERY request (the new safe method with a body) on port 4711: spanwatch finds HTTP by its request line on any "
            + "port; tshark only dissects HTTP ports."),
        "http/http-attacks.pcap": (["request GET: tshark 3, spanwatch 6"],
            "request smuggling: requests hidden in a body behind conflicting Content-Length values (http.invalid_content_length). "
            + "spanwatch reads the hidden requests as the requests they are (as a back end would); tshark counts them as body."),
        "http/zeek-100-continue.pcap": (["response 100: tshark 1, spanwatch 0"],
            "tshark counts the interim 100 Continue as a response; spanwatch follows it and reports the transaction once, with "
            + "its final status."),
        "http/zeek-bro-org.pcap": (["response 200: tshark 30, spanwatch 31"],
            "the response to GET /js/jquery.cycle.all.min.js loses body bytes to a TCP gap (frame 179): spanwatch writes the "
            + "transaction with its status and the body bytes it saw (stream.reassembly_gap); tshark cannot reassemble that PDU "
            + "and counts no response."),
        "http/zeek-methods.pcap": (["request OPTIONS: tshark 3, spanwatch 2"],
            "frame 34 starts a connection with 'OPTIONS' alone on its request line (no target, no version): a first line that "
            + "names no HTTP version does not make a connection HTTP for spanwatch; tshark decodes port 80 as HTTP."),
        "mixed/dns-http-malcolm.pcap": (["response 200: tshark 16, spanwatch 20"],
            "responses completed by out-of-order segments (frames 1007, 1216, 1279, 1284): spanwatch reassembles them in "
            + "sequence order; tshark, in one pass, leaves them undissected."),
    ]

    static var captures: [String] {
        SharedCorpus.captures(in: "http") + SharedCorpus.captures(in: "edge")
            + SharedCorpus.captures(in: "mixed")
    }

    static func tsharkCounts(_ capture: String) throws -> [String: Int] {
        var counts = [String: Int]()
        for object in try Oracle.tsharkRecords(capture, protocols: ["http"]) {
            if object["type"] as? String == "request" {
                counts["request \(object["method"] as? String ?? "-")", default: 0] += 1
            } else {
                counts["response \((object["status"] as? Int).map(String.init) ?? "-")", default: 0] += 1
            }
        }
        return counts
    }

    static func spanwatchCounts(_ capture: String) throws -> [String: Int] {
        var counts = [String: Int]()
        for record in try Oracle.events(capture) {
            guard let event = record.body.application(as: HTTPEvent.self) else { continue }
            if let request = event.request { counts["request \(String(decoding: request.method, as: UTF8.self))", default: 0] += 1 }
            if let response = event.response { counts["response \(response.status)", default: 0] += 1 }
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
