import SpanwatchProtocols
import SpanwatchWire
import Testing

@Suite struct HTTPTests {
    func head(_ text: String) -> Result<HTTP.Head, HTTP.ParseError> {
        Array(text.utf8).withUnsafeBytes { HTTP.parseHead($0.bytes) }
    }

    func slice(_ text: String, _ range: HTTP.Range?) -> String? {
        range.map { String(decoding: Array(text.utf8)[$0.start..<$0.end], as: UTF8.self) }
    }

    @Test func requestLineAndHeaders() throws {
        let text = "POST /api/v1?x=1 HTTP/1.1\r\nhost: plc.local\r\nUSER-AGENT:  curl/8.0 \r\nContent-Length: 12\r\n"
            + "Transfer-Encoding: gzip, chunked\r\nExpect: 100-continue\r\n\r\n"
        let parsed = try head(text).get()
        #expect(parsed.isRequest && slice(text, parsed.method) == "POST" && slice(text, parsed.uri) == "/api/v1?x=1")
        #expect(slice(text, parsed.version) == "HTTP/1.1" && slice(text, parsed.host) == "plc.local" && slice(text, parsed.userAgent) == "curl/8.0")
        #expect(parsed.contentLength == 12 && parsed.chunked && parsed.expectContinue && parsed.headerCount == 5)
    }

    @Test func statusLineAndBareLF() throws {
        let text = "HTTP/1.0 404 Not Found\nServer: lighttpd\n\n"
        let parsed = try head(text).get()
        #expect(!parsed.isRequest && parsed.status == 404 && slice(text, parsed.reason) == "Not Found" && slice(text, parsed.server) == "lighttpd")
        Array(text.utf8).withUnsafeBytes { #expect(HTTP.headEnd($0.bytes) == text.utf8.count) }
    }

    @Test func malformedHeadsAreNamed() {
        guard case .failure(.invalidStatusLine) = head("HTTP/1.1 2000 OK\r\n\r\n") else { Issue.record("4-digit status accepted"); return }
        guard case .failure(.invalidHeader) = head("GET / HTTP/1.1\r\nno colon here\r\n\r\n") else { Issue.record("header without colon"); return }
        // Conflicting Content-Length values: flagged, not trusted.
        let smuggling = try? head("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\n").get()
        #expect(smuggling?.invalidContentLength == true)
        // No target: parsed, flagged.
        let noTarget = try? head("OPTIONS HTTP/1.1\r\n\r\n").get()
        #expect(noTarget?.malformedRequestLine == true)
    }

    @Test func probe() {
        for (text, verdict) in [("GET / HTTP/1.1\r\n", ProbeVerdict.match), ("HTTP/1.1 200 OK", .match), ("CCM_POST /x HTTP/1.0\r\n", .match),
                                ("GE", .needMore), ("get / HTTP/1.1", .no), ("\u{16}\u{03}\u{01}", .no), ("GET /long-uri-without-end", .needMore)] {
            Array(text.utf8).withUnsafeBytes { #expect(HTTP.probe($0.bytes) == verdict, "\(text)") }
        }
    }

    @Test func chunkSizes() {
        for (text, size) in [("1a\r\n", 26), ("0\r\n", 0), ("FF;name=v\r\n", 255)] as [(String, Int?)] {
            Array(text.utf8).withUnsafeBytes { #expect(HTTP.chunkSize($0.bytes, 0, $0.count) == size) }
        }
        Array("zz\r\n".utf8).withUnsafeBytes { #expect(HTTP.chunkSize($0.bytes, 0, $0.count) == nil) }
        Array("1234567890abcdef0\r\n".utf8).withUnsafeBytes { #expect(HTTP.chunkSize($0.bytes, 0, $0.count) == nil) }
    }

    @Test func basicCredentialsGiveTheUserNameOnly() {
        // "admin:Sup3rSecret!"
        Array("YWRtaW46U3VwM3JTZWNyZXQh".utf8).withUnsafeBytes { #expect(HTTP.basicUsername($0.bytes) == Array("admin".utf8)) }
        // "nocolon" has no password separator: not credentials
        Array("bm9jb2xvbg==".utf8).withUnsafeBytes { #expect(HTTP.basicUsername($0.bytes) == nil) }
        Array("!!!".utf8).withUnsafeBytes { #expect(HTTP.basicUsername($0.bytes) == nil) }
    }
}
