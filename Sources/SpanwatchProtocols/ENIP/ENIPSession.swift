import SpanwatchFlow
import SpanwatchJSON
import SpanwatchWire

/// One EtherNet/IP transaction (a request and its reply, paired) or one implicit I/O packet.
public struct ENIPEvent: Sendable {
    public var request: ENIPMessage? = nil
    public var response: ENIPMessage? = nil
    /// Implicit I/O (UDP 2222).
    public var io: ENIPMessage? = nil
    public var transactionIndex: UInt64 = 0
    public var latency: Int64? = nil
}

/// EtherNet/IP over one flow: encapsulation messages framed (TCP) or one per datagram (UDP
/// 44818), requests paired with replies (SendRRData by sender context, SendUnitData by CIP
/// sequence count, the rest by command), implicit I/O counted per connection with sequence gaps
/// as anomalies.
public final class ENIPSession: AppSession {
    struct Pending {
        var key: UInt64
        var message: ENIPMessage
        var time: Timestamp
    }

    let isDatagram: Bool
    var toServer = StreamFramingDriver<ENIP>()
    var toClient = StreamFramingDriver<ENIP>()
    /// Requests waiting for their reply; past the limit the oldest is written unanswered.
    var pending: PendingRequests<Pending>
    var transactionIndex: UInt64 = 0
    /// Implicit I/O: the last sequence number seen per direction and connection.
    var lastIO: [(connection: UInt32, sequence: UInt32)] = []
    public private(set) var ioPackets = 0

    public init(limits: SessionLimits, datagram: Bool) {
        isDatagram = datagram
        pending = PendingRequests(capacity: limits[ENIPProtocol.pendingRequests])
    }

    public var heapBytes: Int {
        toServer.heapBytes + toClient.heapBytes + pending.heapBytes + lastIO.capacity * 8
    }

    public func receive(_ bytes: RawSpan, direction: StreamDirection, flow: Flow, emitter: AppEventEmitter) {
        if isDatagram {
            if bytes.byteCount >= ENIP.headerLength, ENIP.knownCommands.contains(bytes.u16le(0)) {
                handle(bytes, direction: direction, flow: flow, emitter: emitter)
            } else if ENIP.probeIO(bytes) == .match {
                handleIO(bytes, direction: direction, flow: flow, emitter: emitter)
            } else {
                invalid("enip.unknown_datagram", direction: direction, flow: flow, emitter: emitter)
            }
            return
        }
        if direction == .toServer {
            toServer.feed(bytes, onFrame: { handle($0, direction: .toServer, flow: flow, emitter: emitter) },
                          onInvalid: { invalid($0, direction: .toServer, flow: flow, emitter: emitter) })
        } else {
            toClient.feed(bytes, onFrame: { handle($0, direction: .toClient, flow: flow, emitter: emitter) },
                          onInvalid: { invalid($0, direction: .toClient, flow: flow, emitter: emitter) })
        }
    }

    public func gap(direction: StreamDirection) {
        if direction == .toServer { toServer.gap() } else { toClient.gap() }
    }

    public func finish(flow: Flow, emitter: AppEventEmitter) {
        for entry in pending.drain() { emit(request: entry.message, response: nil, latency: nil, flow: flow, emitter: emitter) }
    }

    private func invalid(_ anomaly: String, direction: StreamDirection, flow: Flow, emitter: AppEventEmitter) {
        emitter.emitAnomaly(AnomalyEvent(kind: .applayer, event: anomaly, layer: "enip"), flow: flow, direction: direction)
    }

    /// What pairs a reply with its request: the sender context (SendRRData and the session
    /// commands echo it), the CIP sequence count (SendUnitData: the reply travels on the other
    /// connection id, O->T against T->O, and echoes the count).
    static func pairingKey(_ message: ENIPMessage) -> UInt64 {
        if message.command == 0x0070, let sequence = message.cipSequence {
            return 0x70 << 56 | UInt64(sequence)
        }
        return UInt64(message.command) << 48 ^ message.senderContext
    }

    private func handle(_ bytes: RawSpan, direction: StreamDirection, flow: Flow, emitter: AppEventEmitter) {
        let message = ENIP.parse(bytes)
        for name in message.anomalies.eventNames { invalid(name, direction: direction, flow: flow, emitter: emitter) }
        // A CIP reply is a reply whichever way it goes; without CIP, the direction says.
        let isReply = message.cip.map(\.isResponse) ?? (direction == .toClient)
        let now = flow.lastTime
        if !isReply {
            // Requests without a reply (UnregisterSession, a SendUnitData some devices leave
            // unanswered) wait until the list is full or the flow ends.
            if let oldest = pending.append(Pending(key: ENIPSession.pairingKey(message), message: message, time: now)) {
                emit(request: oldest.message, response: nil, latency: nil, flow: flow, emitter: emitter)
            }
            return
        }
        let key = ENIPSession.pairingKey(message)
        if let request = pending.take(where: { $0.key == key }) {
            emit(request: request.message, response: message, latency: now - request.time, flow: flow, emitter: emitter)
        } else {
            emit(request: nil, response: message, latency: nil, flow: flow, emitter: emitter)
        }
    }

    private func handleIO(_ bytes: RawSpan, direction: StreamDirection, flow: Flow, emitter: AppEventEmitter) {
        ioPackets += 1
        var message = ENIP.parseIO(bytes)
        if let connection = message.connectionID, let sequence = message.encapsulationSequence {
            if let index = lastIO.firstIndex(where: { $0.connection == connection }) {
                let step = sequence &- lastIO[index].sequence
                if step != 1 && step != 0 { message.anomalies.insert(.ioSequenceGap) }
                lastIO[index].sequence = sequence
            } else if lastIO.count < 16 {
                lastIO.append((connection, sequence))
            }
        }
        for name in message.anomalies.eventNames { invalid(name, direction: direction, flow: flow, emitter: emitter) }
        guard emitter.wants(ENIPEvent.eventType) else { return }
        var event = ENIPEvent(io: message)
        event.transactionIndex = transactionIndex
        transactionIndex += 1
        emitter.emitApp(event, flow: flow, direction: direction)
    }

    private func emit(request: ENIPMessage?, response: ENIPMessage?, latency: Int64?, flow: Flow, emitter: AppEventEmitter) {
        let index = transactionIndex
        transactionIndex += 1
        guard emitter.wants(ENIPEvent.eventType) else { return }
        emitter.emitApp(ENIPEvent(request: request, response: response, transactionIndex: index, latency: latency), flow: flow,
                        direction: response != nil ? .toClient : .toServer)
    }
}
