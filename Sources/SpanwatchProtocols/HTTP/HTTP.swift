import SpanwatchWire
import SpanwatchFlow
import SpanwatchJSON
// HTTP/1.0 and 1.1 message heads: RFC 9112 (request line, status line, header fields, message
// body length §6.3) and RFC 9110 (methods, 1xx, Authorization). A head ends with an empty line
// (CRLF CRLF; a bare LF is tolerated as most servers do).
//
// The parser works on one complete head and returns byte ranges into it, so nothing is copied
// or allocated here; the session turns the ranges it needs into text only when an event is
// written.

public enum HTTP {
    public typealias Range = (start: Int, end: Int)

    public static let methods: [StaticString] = [
        "GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "CONNECT", "TRACE", "PATCH",
        "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "SEARCH", "REPORT", "SUBSCRIBE", "NOTIFY",
    ]

    public struct Head: Sendable {
        public var isRequest = true
        public var method: Range = (0, 0)
        public var uri: Range = (0, 0)
        public var version: Range = (0, 0)
        public var status = 0
        public var reason: Range = (0, 0)
        public var host: Range? = nil
        public var userAgent: Range? = nil
        public var contentType: Range? = nil
        public var server: Range? = nil
        public var authorization: Range? = nil
        public var location: Range? = nil
        public var contentLength: Int? = nil
        public var chunked = false
        public var expectContinue = false
        public var connectionClose = false
        public var headerCount = 0
        public var invalidContentLength = false
        /// A request line without a target or without a version (parsed anyway).
        public var malformedRequestLine = false
        public init() {}
    }

    public enum ParseError: String, Error, Sendable {
        case invalidRequestLine = "http.invalid_request_line"
        case invalidStatusLine = "http.invalid_status_line"
        case invalidHeader = "http.invalid_header"
    }

    /// The offset just past the empty line that ends a head starting at `from`, or nil.
    public static func headEnd(_ bytes: RawSpan, from: Int = 0) -> Int? {
        var index = from
        while index < bytes.byteCount {
            if bytes.u8(index) == 0x0A {
                if index + 1 < bytes.byteCount && bytes.u8(index + 1) == 0x0A { return index + 2 }
                if index + 2 < bytes.byteCount && bytes.u8(index + 1) == 0x0D && bytes.u8(index + 2) == 0x0A { return index + 3 }
            }
            index += 1
        }
        return nil
    }

    /// Detection: `HTTP/1.` (a response), or a request line: a method token (upper-case letters,
    /// `_` or `-`; any of the registered methods, or an extension such as `CCM_POST`), a space,
    /// and `HTTP/` before the end of the line.
    public static func probe(_ bytes: RawSpan) -> ProbeVerdict {
        if startsWith(bytes, "HTTP/1.") { return .match }
        if bytes.byteCount < 8 && prefixMatches(bytes, "HTTP/1.") { return .needMore }
        var index = 0
        while index < bytes.byteCount, index < 24 {
            let byte = bytes.u8(index)
            guard (byte >= 0x41 && byte <= 0x5A) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") else { break }
            index += 1
        }
        guard index >= 3 else { return bytes.byteCount < 3 && index == bytes.byteCount ? .needMore : .no }
        guard index < bytes.byteCount else { return .needMore }
        guard bytes.u8(index) == 0x20 else { return .no }
        // The line must name an HTTP version.
        var cursor = index + 1
        while cursor + 5 <= bytes.byteCount {
            if bytes.u8(cursor) == 0x0A { return .no }
            if startsWith(bytes.extracting(cursor..<bytes.byteCount), "HTTP/") { return .match }
            cursor += 1
        }
        return bytes.byteCount < 4096 ? .needMore : .no
    }

    static func prefixMatches(_ bytes: RawSpan, _ text: StaticString) -> Bool {
        let n = min(bytes.byteCount, text.utf8CodeUnitCount)
        for i in 0..<n where bytes.u8(i) != text.utf8Start[i] { return false }
        return true
    }

    static func startsWith(_ bytes: RawSpan, _ text: StaticString) -> Bool {
        bytes.byteCount >= text.utf8CodeUnitCount && prefixMatches(bytes, text)
    }

    /// Parses a complete head (as delimited by `headEnd`).
    public static func parseHead(_ head: RawSpan) -> Result<Head, ParseError> {
        var result = Head()
        // First line.
        var lineEnd = 0
        while lineEnd < head.byteCount && head.u8(lineEnd) != 0x0A { lineEnd += 1 }
        let first = trimCR(head, 0, lineEnd)
        result.isRequest = !startsWith(head, "HTTP/")
        guard let space1 = find(head, 0x20, first.start, first.end) else {
            return .failure(result.isRequest ? .invalidRequestLine : .invalidStatusLine)
        }
        if result.isRequest {
            result.method = (first.start, space1)
            guard space1 > first.start else { return .failure(.invalidRequestLine) }
            if let space2 = findLast(head, 0x20, space1 + 1, first.end), space2 > space1,
               startsWith(head.extracting((space2 + 1)..<head.byteCount), "HTTP/") {
                result.uri = (space1 + 1, space2)
                result.version = (space2 + 1, first.end)
                if space2 == space1 + 1 { result.malformedRequestLine = true }
            } else if startsWith(head.extracting((space1 + 1)..<head.byteCount), "HTTP/") {
                // "OPTIONS HTTP/1.1": no target. Read as tshark and servers do, and flagged.
                result.uri = (space1 + 1, space1 + 1)
                result.version = (space1 + 1, first.end)
                result.malformedRequestLine = true
            } else {
                // "GET /HTTP/1.1" or an HTTP/0.9 line: a target, no version. Flagged.
                result.uri = (space1 + 1, first.end)
                result.version = (first.end, first.end)
                result.malformedRequestLine = true
            }
        } else {
            result.version = (first.start, space1)
            let codeEnd = find(head, 0x20, space1 + 1, first.end) ?? first.end
            guard codeEnd - space1 - 1 == 3, let code = decimal(head, space1 + 1, codeEnd) else { return .failure(.invalidStatusLine) }
            result.status = code
            result.reason = (min(codeEnd + 1, first.end), first.end)
        }
        // Header fields.
        var cursor = lineEnd + 1
        while cursor < head.byteCount {
            var end = cursor
            while end < head.byteCount && head.u8(end) != 0x0A { end += 1 }
            let line = trimCR(head, cursor, end)
            cursor = end + 1
            if line.start == line.end { break }  // the empty line
            guard let colon = find(head, UInt8(ascii: ":"), line.start, line.end) else { return .failure(.invalidHeader) }
            result.headerCount += 1
            let name = (line.start, colon)
            var valueStart = colon + 1
            while valueStart < line.end && (head.u8(valueStart) == 0x20 || head.u8(valueStart) == 0x09) { valueStart += 1 }
            var valueEnd = line.end
            while valueEnd > valueStart && (head.u8(valueEnd - 1) == 0x20 || head.u8(valueEnd - 1) == 0x09) { valueEnd -= 1 }
            let value = (valueStart, valueEnd)
            if nameIs(head, name, "host") { result.host = value }
            else if nameIs(head, name, "user-agent") { result.userAgent = value }
            else if nameIs(head, name, "content-type") { result.contentType = value }
            else if nameIs(head, name, "server") { result.server = value }
            else if nameIs(head, name, "authorization") { result.authorization = value }
            else if nameIs(head, name, "location") { result.location = value }
            else if nameIs(head, name, "content-length") {
                if let length = decimal(head, value.0, value.1), result.contentLength == nil || result.contentLength == length {
                    result.contentLength = length
                } else {
                    result.invalidContentLength = true
                }
            } else if nameIs(head, name, "transfer-encoding") {
                result.chunked = containsToken(head, value, "chunked")
            } else if nameIs(head, name, "expect") {
                result.expectContinue = containsToken(head, value, "100-continue")
            } else if nameIs(head, name, "connection") {
                result.connectionClose = containsToken(head, value, "close")
            }
        }
        return .success(result)
    }

    static func trimCR(_ bytes: RawSpan, _ start: Int, _ end: Int) -> Range {
        end > start && bytes.u8(end - 1) == 0x0D ? (start, end - 1) : (start, end)
    }

    static func find(_ bytes: RawSpan, _ byte: UInt8, _ start: Int, _ end: Int) -> Int? {
        var index = start
        while index < end { if bytes.u8(index) == byte { return index }; index += 1 }
        return nil
    }

    static func findLast(_ bytes: RawSpan, _ byte: UInt8, _ start: Int, _ end: Int) -> Int? {
        var index = end - 1
        while index >= start { if bytes.u8(index) == byte { return index }; index -= 1 }
        return nil
    }

    /// A non-negative decimal of at most 15 digits (no sign, no spaces).
    public static func decimal(_ bytes: RawSpan, _ start: Int, _ end: Int) -> Int? {
        guard end > start, end - start <= 15 else { return nil }
        var value = 0
        for index in start..<end {
            let digit = bytes.u8(index)
            guard digit >= 0x30 && digit <= 0x39 else { return nil }
            value = value * 10 + Int(digit - 0x30)
        }
        return value
    }

    /// Whether the bytes in `range` equal `lowercase`, ignoring ASCII case.
    public static func nameIs(_ bytes: RawSpan, _ range: Range, _ lowercase: StaticString) -> Bool {
        let length = lowercase.utf8CodeUnitCount
        guard range.end - range.start == length else { return false }
        for index in 0..<length where bytes.u8(range.start + index) | 0x20 != lowercase.utf8Start[index] {
            // `| 0x20` folds letters; '-' (0x2D) is unchanged.
            return false
        }
        return true
    }

    static func containsToken(_ bytes: RawSpan, _ range: Range, _ token: StaticString) -> Bool {
        let length = token.utf8CodeUnitCount
        guard range.end - range.start >= length else { return false }
        for start in range.start...(range.end - length) {
            var matches = true
            for index in 0..<length where bytes.u8(start + index) | 0x20 != token.utf8Start[index] | 0x20 { matches = false; break }
            if matches { return true }
        }
        return false
    }

    /// The size at the start of a chunk-size line (hex, extensions after ';' ignored).
    public static func chunkSize(_ bytes: RawSpan, _ start: Int, _ end: Int) -> Int? {
        var value = 0
        var digits = 0
        var index = start
        while index < end {
            let byte = bytes.u8(index)
            let digit: Int
            switch byte {
            case 0x30...0x39: digit = Int(byte - 0x30)
            case 0x41...0x46: digit = Int(byte - 0x41 + 10)
            case 0x61...0x66: digit = Int(byte - 0x61 + 10)
            case UInt8(ascii: ";"), 0x20, 0x09, 0x0D: return digits > 0 ? value : nil
            default: return nil
            }
            digits += 1
            guard digits <= 15 else { return nil }
            value = value * 16 + digit
            index += 1
        }
        return digits > 0 ? value : nil
    }

    /// The user name of `Basic` credentials (base64 of `user:password`): only the part before the
    /// colon is returned; the password is decoded into a stack buffer and never leaves this call.
    public static func basicUsername(_ credentials: RawSpan) -> [UInt8]? {
        var decoded: [UInt8] = []
        var accumulator: UInt32 = 0
        var bits = 0
        for index in 0..<credentials.byteCount {
            let byte = credentials.u8(index)
            let value: UInt32
            switch byte {
            case 0x41...0x5A: value = UInt32(byte - 0x41)
            case 0x61...0x7A: value = UInt32(byte - 0x61 + 26)
            case 0x30...0x39: value = UInt32(byte - 0x30 + 52)
            case UInt8(ascii: "+"): value = 62
            case UInt8(ascii: "/"): value = 63
            case UInt8(ascii: "="): return nil  // padding reached without a colon
            default: return nil
            }
            accumulator = accumulator << 6 | value
            bits += 6
            if bits >= 8 {
                bits -= 8
                let next = UInt8((accumulator >> UInt32(bits)) & 0xFF)
                if next == UInt8(ascii: ":") { return decoded }  // stop before the password
                decoded.append(next)
            }
        }
        return nil  // no colon: not user:password
    }
}
