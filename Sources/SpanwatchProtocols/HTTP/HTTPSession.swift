import SpanwatchFlow
import SpanwatchJSON
import SpanwatchWire

/// One HTTP transaction as an event: the request and, when seen, its response.
public struct HTTPEvent: Sendable {
    public struct Request: Sendable {
        public var method: [UInt8] = []
        public var uri: [UInt8] = []
        public var version: [UInt8] = []
        public var host: [UInt8]? = nil
        public var userAgent: [UInt8]? = nil
        public var contentType: [UInt8]? = nil
        /// The scheme of the Authorization header (`Basic`, `Bearer`, ...), and for Basic the user
        /// name; the password is never kept.
        public var authorizationScheme: [UInt8]? = nil
        public var username: [UInt8]? = nil
        public var bodyLength = 0
    }

    public struct Response: Sendable {
        public var version: [UInt8] = []
        public var status = 0
        public var reason: [UInt8] = []
        public var server: [UInt8]? = nil
        public var contentType: [UInt8]? = nil
        public var location: [UInt8]? = nil
        public var bodyLength = 0
    }

    public var transactionIndex: UInt64
    public var request: Request?
    public var response: Response?
}

/// HTTP/1.x over one TCP flow. Heads are found and parsed where they lie in the segment (copied
/// only when one spans segments, bounded by `limits.http_head_bytes`); bodies are skipped by
/// Content-Length or chunked encoding without being buffered; requests are paired with responses
/// in order (pipelining); 100-continue and CONNECT are followed. One `http` event per transaction.
public final class HTTPSession: AppSession {
    enum BodyState {
        case none
        case length(Int)
        case chunkSize
        case chunkData(Int)
        case chunkDataEnd
        case trailer
        /// Until the connection closes (responses without a length).
        case untilClose
        /// After a successful CONNECT or an upgrade: opaque bytes.
        case tunnel
    }

    struct Direction {
        var state = BodyState.none
        var buffer: [UInt8] = []
        var skippingRestOfSegment = false
        var bodyBytes = 0
        /// After a gap: segments are skipped until one starts with a message head.
        var resynchronising = false
    }

    let maximumHeadBytes: Int
    var requestSide = Direction()
    var responseSide = Direction()
    /// Requests waiting for their response, oldest first (pipelining); `method` 1 is CONNECT,
    /// 2 HEAD (their responses have no body), 0 any other.
    var pending: [(request: HTTPEvent.Request?, method: UInt8, index: UInt64)] = []
    var currentResponse: HTTPEvent.Response? = nil
    var currentResponseOwner: (request: HTTPEvent.Request?, index: UInt64)? = nil
    /// The transaction whose request body is being read (its entry may move in `pending`).
    var currentRequestTransaction: UInt64? = nil
    var transactionIndex: UInt64 = 0
    public private(set) var requests = 0
    public private(set) var responses = 0

    public init(limits: SessionLimits) {
        maximumHeadBytes = limits[HTTPProtocol.headBytes]
    }

    public var heapBytes: Int { requestSide.buffer.capacity + responseSide.buffer.capacity + pending.capacity * 64 }

    public func receive(_ bytes: RawSpan, direction: StreamDirection, flow: Flow, emitter: AppEventEmitter) {
        var side = direction == .toServer ? requestSide : responseSide
        if direction == .toServer { requestSide = Direction() } else { responseSide = Direction() }
        defer { if direction == .toServer { requestSide = side } else { responseSide = side } }
        side.skippingRestOfSegment = false
        var offset = 0
        while offset < bytes.byteCount && !side.skippingRestOfSegment {
            offset = step(bytes, at: offset, side: &side, isRequest: direction == .toServer, flow: flow, emitter: emitter)
        }
    }

    public func gap(direction: StreamDirection) {
        // Resynchronise at the next segment on a head.
        if direction == .toServer {
            requestSide.buffer.removeAll(keepingCapacity: true)
            requestSide.state = .none
            requestSide.resynchronising = true
        } else {
            responseSide.buffer.removeAll(keepingCapacity: true)
            responseSide.state = .none
            responseSide.resynchronising = true
        }
    }

    public func finish(flow: Flow, emitter: AppEventEmitter) {
        if let response = currentResponse, let owner = currentResponseOwner {
            var response = response
            response.bodyLength = responseSide.bodyBytes
            emit(owner.request, response, index: owner.index, flow: flow, emitter: emitter)
            currentResponse = nil
        }
        for entry in pending { emit(entry.request, nil, index: entry.index, flow: flow, emitter: emitter) }
        pending.removeAll()
    }

    private func invalid(_ anomaly: String, isRequest: Bool, flow: Flow, emitter: AppEventEmitter) {
        emitter.emitAnomaly(AnomalyEvent(kind: .applayer, event: anomaly, layer: "http"), flow: flow,
                        direction: isRequest ? .toServer : .toClient)
    }

    /// Consumes what it can from `bytes` at `offset`; returns the new offset.
    private func step(_ bytes: RawSpan, at offset: Int, side: inout Direction, isRequest: Bool, flow: Flow, emitter: AppEventEmitter) -> Int {
        let available = bytes.byteCount - offset
        switch side.state {
        case .tunnel:
            return bytes.byteCount
        case .untilClose:
            side.bodyBytes += available
            return bytes.byteCount
        case .length(let remaining):
            let take = min(remaining, available)
            side.bodyBytes += take
            if take == remaining { finishBody(&side, isRequest: isRequest, flow: flow, emitter: emitter) } else { side.state = .length(remaining - take) }
            return offset + take
        case .chunkData(let remaining):
            let take = min(remaining, available)
            side.bodyBytes += take
            side.state = take == remaining ? .chunkDataEnd : .chunkData(remaining - take)
            return offset + take
        case .chunkSize, .chunkDataEnd, .trailer:
            return chunkLine(bytes, at: offset, side: &side, isRequest: isRequest, flow: flow, emitter: emitter)
        case .none:
            return head(bytes, at: offset, side: &side, isRequest: isRequest, flow: flow, emitter: emitter)
        }
    }

    /// A line of the chunked encoding: a size, the CRLF after data, or a trailer line.
    private func chunkLine(_ bytes: RawSpan, at offset: Int, side: inout Direction, isRequest: Bool, flow: Flow, emitter: AppEventEmitter) -> Int {
        var end = offset
        while end < bytes.byteCount && bytes.u8(end) != 0x0A { end += 1 }
        guard end < bytes.byteCount else {
            side.buffer.appendBytes(of: bytes.extracting(offset..<bytes.byteCount))
            if side.buffer.count > 1024 {
                invalid("http.invalid_chunk_size", isRequest: isRequest, flow: flow, emitter: emitter)
                abandon(&side, isRequest: isRequest, flow: flow, emitter: emitter)
            }
            return bytes.byteCount
        }
        side.buffer.appendBytes(of: bytes.extracting(offset..<(end + 1)))
        let line = side.buffer
        side.buffer.removeAll(keepingCapacity: true)
        let isEmptyLine = line.count == 1 || (line.count == 2 && line[0] == 0x0D)
        switch side.state {
        case .chunkDataEnd:
            side.state = .chunkSize
            if !isEmptyLine { invalid("http.invalid_chunk_size", isRequest: isRequest, flow: flow, emitter: emitter) }
        case .trailer:
            if isEmptyLine { finishBody(&side, isRequest: isRequest, flow: flow, emitter: emitter) }
        default:
            let size = line.withUnsafeBytes { HTTP.chunkSize($0.bytes, 0, line.count - 1) }
            guard let size else {
                invalid("http.invalid_chunk_size", isRequest: isRequest, flow: flow, emitter: emitter)
                abandon(&side, isRequest: isRequest, flow: flow, emitter: emitter)
                return end + 1
            }
            side.state = size == 0 ? .trailer : .chunkData(size)
        }
        return end + 1
    }

    /// Malformed framing: end the body here and look for a head at the next segment.
    private func abandon(_ side: inout Direction, isRequest: Bool, flow: Flow, emitter: AppEventEmitter) {
        finishBody(&side, isRequest: isRequest, flow: flow, emitter: emitter)
        side.buffer.removeAll(keepingCapacity: true)
        side.skippingRestOfSegment = true
    }

    private func head(_ bytes: RawSpan, at offset: Int, side: inout Direction, isRequest: Bool, flow: Flow, emitter: AppEventEmitter) -> Int {
        let rest = bytes.extracting(offset..<bytes.byteCount)
        if side.resynchronising {
            // Bytes after a gap are the rest of a lost message until a segment starts a head.
            guard offset == 0, HTTP.probe(rest) == .match else {
                side.skippingRestOfSegment = true
                return bytes.byteCount
            }
            side.resynchronising = false
        }
        if side.buffer.isEmpty {
            // Skip blank lines between messages (RFC 9112 §2.2).
            var skip = 0
            while skip < rest.byteCount && (rest.u8(skip) == 0x0D || rest.u8(skip) == 0x0A) { skip += 1 }
            if skip > 0 { return offset + skip }
            if let end = HTTP.headEnd(rest) {
                handleHead(rest.extracting(0..<end), side: &side, isRequest: isRequest, flow: flow, emitter: emitter)
                return offset + end
            }
        }
        // The head spans segments: keep it (bounded) until its end arrives.
        let searchFrom = max(side.buffer.count - 3, 0)
        let room = maximumHeadBytes - side.buffer.count
        let take = min(room, rest.byteCount)
        side.buffer.appendBytes(of: rest.extracting(0..<take))
        let end = side.buffer.withUnsafeBytes { HTTP.headEnd($0.bytes, from: searchFrom) }
        if let end {
            let consumedFromThis = end - (side.buffer.count - take)
            side.buffer.withUnsafeBytes { raw in
                handleHead(raw.bytes.extracting(0..<end), side: &side, isRequest: isRequest, flow: flow, emitter: emitter)
            }
            side.buffer.removeAll(keepingCapacity: true)
            return offset + consumedFromThis
        }
        if side.buffer.count >= maximumHeadBytes {
            invalid("http.head_too_long", isRequest: isRequest, flow: flow, emitter: emitter)
            side.buffer.removeAll(keepingCapacity: true)
            side.skippingRestOfSegment = true
        }
        return offset + take
    }

    private func handleHead(_ headBytes: RawSpan, side: inout Direction, isRequest: Bool, flow: Flow, emitter: AppEventEmitter) {
        // A response whose body a gap cut short is written with what was seen of it before the
        // next one starts (it was lost before: the next head took its place).
        if !isRequest, currentResponseOwner != nil {
            finishBody(&side, isRequest: false, flow: flow, emitter: emitter)
        }
        let parsed: HTTP.Head
        switch HTTP.parseHead(headBytes) {
        case .success(let head): parsed = head
        case .failure(let error):
            invalid(error.rawValue, isRequest: isRequest, flow: flow, emitter: emitter)
            side.skippingRestOfSegment = true
            return
        }
        if parsed.invalidContentLength { invalid("http.invalid_content_length", isRequest: isRequest, flow: flow, emitter: emitter) }
        if parsed.malformedRequestLine { invalid("http.invalid_request_line", isRequest: isRequest, flow: flow, emitter: emitter) }
        side.bodyBytes = 0
        let wanted = emitter.wants(HTTPEvent.eventType)
        func text(_ range: HTTP.Range) -> [UInt8] { headBytes.extracting(range.start..<range.end).copyBytes() }
        if isRequest && parsed.isRequest {
            requests += 1
            var request: HTTPEvent.Request? = nil
            if wanted {
                var r = HTTPEvent.Request()
                r.method = text(parsed.method)
                r.uri = text(parsed.uri)
                r.version = text(parsed.version)
                r.host = parsed.host.map(text)
                r.userAgent = parsed.userAgent.map(text)
                r.contentType = parsed.contentType.map(text)
                if let authorization = parsed.authorization {
                    let value = headBytes.extracting(authorization.start..<authorization.end)
                    var schemeEnd = 0
                    while schemeEnd < value.byteCount && value.u8(schemeEnd) != 0x20 { schemeEnd += 1 }
                    r.authorizationScheme = value.extracting(0..<schemeEnd).copyBytes()
                    if HTTP.nameIs(value, (0, schemeEnd), "basic") && schemeEnd < value.byteCount {
                        var credentials = schemeEnd + 1
                        while credentials < value.byteCount && value.u8(credentials) == 0x20 { credentials += 1 }
                        r.username = HTTP.basicUsername(value.extracting(credentials..<value.byteCount))
                    }
                }
                request = r
            }
            let isConnect = HTTP.nameIs(headBytes, parsed.method, "connect")
            let isHead = HTTP.nameIs(headBytes, parsed.method, "head")
            if pending.count >= 64 {
                let oldest = pending.removeFirst()
                emit(oldest.request, nil, index: oldest.index, flow: flow, emitter: emitter)
            }
            if pending.capacity == 0 { pending.reserveCapacity(4) }
            pending.append((request, isConnect ? 1 : isHead ? 2 : 0, transactionIndex))
            transactionIndex += 1
            currentRequestTransaction = transactionIndex - 1
            if parsed.chunked { side.state = .chunkSize }
            else if let length = parsed.contentLength, length > 0 { side.state = .length(length) }
            else { side.state = .none }
        } else if !isRequest && !parsed.isRequest {
            responses += 1
            if parsed.status >= 100 && parsed.status < 200 && parsed.status != 101 {
                side.state = .none  // 100 Continue and friends: the real response follows
                return
            }
            let owner = pending.isEmpty ? nil : pending.removeFirst()
            var response: HTTPEvent.Response? = nil
            if wanted {
                var r = HTTPEvent.Response()
                r.version = text(parsed.version)
                r.status = parsed.status
                r.reason = text(parsed.reason)
                r.server = parsed.server.map(text)
                r.contentType = parsed.contentType.map(text)
                r.location = parsed.location.map(text)
                response = r
            }
            let kind = owner?.method ?? 0
            if kind == 1 && parsed.status / 100 == 2 || parsed.status == 101 {
                side.state = .tunnel
                requestSide.state = .tunnel
            } else if kind == 2 || parsed.status == 204 || parsed.status == 304 {
                side.state = .none
            } else if parsed.chunked {
                side.state = .chunkSize
            } else if let length = parsed.contentLength {
                side.state = length > 0 ? .length(length) : .none
            } else {
                side.state = .untilClose
            }
            currentResponse = response ?? HTTPEvent.Response()
            currentResponseOwner = (owner?.request, owner?.index ?? { defer { transactionIndex += 1 }; return transactionIndex }())
            if case .none = side.state { finishBody(&side, isRequest: false, flow: flow, emitter: emitter) }
            if case .tunnel = side.state { finishBody(&side, isRequest: false, flow: flow, emitter: emitter) }
        } else {
            // A response head from the client or a request from the server: out of step.
            invalid("http.unexpected_message_direction", isRequest: isRequest, flow: flow, emitter: emitter)
            side.skippingRestOfSegment = true
        }
    }

    private func finishBody(_ side: inout Direction, isRequest: Bool, flow: Flow, emitter: AppEventEmitter) {
        if isRequest {
            if let transaction = currentRequestTransaction, let index = pending.firstIndex(where: { $0.index == transaction }) {
                pending[index].request?.bodyLength = side.bodyBytes
            }
            if case .tunnel = side.state {} else { side.state = .none }
        } else {
            if let owner = currentResponseOwner {
                var response = currentResponse
                response?.bodyLength = side.bodyBytes
                emit(owner.request, response, index: owner.index, flow: flow, emitter: emitter)
            }
            currentResponse = nil
            currentResponseOwner = nil
            if case .tunnel = side.state {} else { side.state = .none }
        }
    }

    private func emit(_ request: HTTPEvent.Request?, _ response: HTTPEvent.Response?, index: UInt64, flow: Flow, emitter: AppEventEmitter) {
        guard emitter.wants(HTTPEvent.eventType) else { return }
        emitter.emitApp(HTTPEvent(transactionIndex: index, request: request, response: response), flow: flow,
                        direction: response != nil ? .toClient : .toServer)
    }
}
