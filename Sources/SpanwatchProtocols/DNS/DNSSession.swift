import SpanwatchFlow
import SpanwatchJSON
import SpanwatchWire

/// One DNS message as an event, with its names and data as text (built only when the event is
/// wanted: parsing itself allocates nothing).
public struct DNSEvent: Sendable {
    public struct Query: Sendable {
        public var name: [UInt8]
        public var type: UInt16
        public var klass: UInt16
    }

    public struct Answer: Sendable {
        public var section: DNS.Record.Section
        public var name: [UInt8]
        public var type: UInt16
        public var ttl: UInt32
        public var data: [UInt8]
    }

    public var message: DNS.Message
    public var queries: [Query]
    public var answers: [Answer]
    /// Per-flow message counter (EVE `tx_id`).
    public var transactionIndex: UInt64
    /// For a response: time since the query with the same id on this flow.
    public var latency: Int64?

    public init(message: DNS.Message, bytes: RawSpan, transactionIndex: UInt64, latency: Int64?) {
        self.message = message
        self.transactionIndex = transactionIndex
        self.latency = latency
        queries = (0..<message.keptQuestionCount).map { index in
            let question = message.questions[index]
            var name: [UInt8] = []
            DNS.appendName(bytes, at: question.nameOffset, to: &name)
            return Query(name: name, type: question.type, klass: question.klass)
        }
        answers = (0..<message.keptRecordCount).compactMap { index in
            let record = message.records[index]
            guard record.type != 41 else { return nil }  // OPT is written as `edns`
            var name: [UInt8] = []
            DNS.appendName(bytes, at: record.nameOffset, to: &name)
            var data: [UInt8] = []
            DNS.appendRData(bytes, record: record, to: &data)
            return Answer(section: record.section, name: name, type: record.type, ttl: record.ttl, data: data)
        }
    }
}

/// DNS over UDP (one message per datagram) or TCP (length-prefixed messages): one `dns` event
/// per message, anomalies for malformed ones, and answers learned into the address → name cache.
public final class DNSSession: AppSession {
    let isDatagram: Bool
    let cache: DNSCache?
    var toServer = StreamFramingDriver<DNS.OverTCP>()
    var toClient = StreamFramingDriver<DNS.OverTCP>()
    var transactionIndex: UInt64 = 0
    /// Queries waiting for their response: (id, time).
    var pending: [(id: UInt16, time: Timestamp)] = []
    public private(set) var messages = 0

    public init(datagram: Bool, cache: DNSCache?) {
        self.isDatagram = datagram
        self.cache = cache
    }

    public var heapBytes: Int { toServer.heapBytes + toClient.heapBytes + pending.capacity * 16 }

    public func receive(_ bytes: RawSpan, direction: StreamDirection, flow: Flow, emitter: AppEventEmitter) {
        if isDatagram {
            handleMessage(bytes, direction: direction, flow: flow, emitter: emitter)
            return
        }
        if direction == .toServer {
            toServer.feed(bytes, onFrame: { handleMessage($0.extracting(2..<$0.byteCount), direction: .toServer, flow: flow, emitter: emitter) },
                          onInvalid: { invalid($0, direction: .toServer, flow: flow, emitter: emitter) })
        } else {
            toClient.feed(bytes, onFrame: { handleMessage($0.extracting(2..<$0.byteCount), direction: .toClient, flow: flow, emitter: emitter) },
                          onInvalid: { invalid($0, direction: .toClient, flow: flow, emitter: emitter) })
        }
    }

    public func gap(direction: StreamDirection) {
        if direction == .toServer { toServer.gap() } else { toClient.gap() }
    }

    public func finish(flow: Flow, emitter: AppEventEmitter) {
        pending.removeAll()
    }

    private func invalid(_ anomaly: String, direction: StreamDirection, flow: Flow, emitter: AppEventEmitter) {
        emitter.emitAnomaly(AnomalyEvent(kind: .applayer, event: anomaly, layer: "dns"), flow: flow, direction: direction)
    }

    private func handleMessage(_ bytes: RawSpan, direction: StreamDirection, flow: Flow, emitter: AppEventEmitter) {
        messages += 1
        let message = DNS.parse(bytes)
        for name in message.anomalies.eventNames { invalid(name, direction: direction, flow: flow, emitter: emitter) }
        var latency: Int64? = nil
        if message.isResponse {
            if let index = pending.firstIndex(where: { $0.id == message.id }) {
                latency = flow.lastTime - pending.remove(at: index).time
            }
            if let cache, message.rcode == 0 { learn(message, bytes: bytes, cache: cache, now: flow.lastTime) }
        } else if !message.anomalies.contains(.truncatedHeader) {
            if pending.count >= 32 { pending.removeFirst() }
            if pending.capacity == 0 { pending.reserveCapacity(8) }
            pending.append((message.id, flow.lastTime))
        }
        let index = transactionIndex
        transactionIndex += 1
        guard emitter.wants(DNSEvent.eventType) else { return }
        emitter.emitApp(DNSEvent(message: message, bytes: bytes, transactionIndex: index, latency: latency), flow: flow, direction: direction)
    }

    /// A and AAAA answers: the address was resolved from the (first) question's name.
    private func learn(_ message: DNS.Message, bytes: RawSpan, cache: DNSCache, now: Timestamp) {
        guard message.keptQuestionCount > 0 else { return }
        var name: [UInt8]? = nil
        for index in 0..<message.keptRecordCount {
            let record = message.records[index]
            guard record.section == .answer, record.klass & 0x7FFF == 1 else { continue }
            let address: IPAddress
            if record.type == 1 && record.dataLength == 4 {
                address = IPAddress(ipv4: bytes.u32be(record.dataOffset))
            } else if record.type == 28 && record.dataLength == 16 {
                address = IPAddress(ipv6High: bytes.u64be(record.dataOffset), low: bytes.u64be(record.dataOffset + 8))
            } else {
                continue
            }
            if name == nil {
                var text: [UInt8] = []
                guard DNS.appendName(bytes, at: message.questions[0].nameOffset, to: &text) else { return }
                name = text
            }
            cache.insert(address, name: name!, ttl: record.ttl, now: now)
        }
    }
}
