import SpanwatchFlow
import SpanwatchJSON
import SpanwatchWire

/// One BVLC message as an event, with the request it answers when paired by invoke id.
public struct BACnetEvent: Sendable {
    public var message: BACnetMessage
    public var direction: StreamDirection
    /// For an answer (ACK, error, reject, abort): the confirmed service it answers, and when.
    public var requestService: UInt8? = nil
    public var latency: Int64? = nil
}

/// BACnet/IP over one UDP flow: one message per datagram, confirmed requests paired with their
/// answers by invoke id (bounded), anomalies for malformed messages.
public final class BACnetSession: AppSession {
    struct Pending {
        var invokeID: UInt8
        var service: UInt8
        var time: Timestamp
    }

    /// Confirmed requests waiting for their answer; past the limit the oldest is forgotten (counted).
    var pending: PendingRequests<Pending>
    public private(set) var messages = 0
    public var forgottenRequests: Int { pending.evicted }

    public init(limits: SessionLimits) {
        pending = PendingRequests(capacity: limits[BACnetProtocol.pendingRequests])
    }

    public var heapBytes: Int { pending.heapBytes }

    public func receive(_ bytes: RawSpan, direction: StreamDirection, flow: Flow, emitter: AppEventEmitter) {
        messages += 1
        let message = BACnet.parse(bytes)
        for name in message.anomalies.eventNames {
            emitter.emitAnomaly(AnomalyEvent(kind: .applayer, event: name, layer: "bacnet"), flow: flow, direction: direction)
        }
        var event = BACnetEvent(message: message, direction: direction)
        if message.hasAPDU, let invoke = message.invokeID {
            if message.apduType == 0, let service = message.service, (message.sequenceNumber ?? 0) == 0 {
                _ = pending.append(Pending(invokeID: invoke, service: service, time: flow.lastTime))
            } else if (2...7).contains(message.apduType) && message.apduType != 4,
                      // A segmented answer keeps its request until the last segment.
                      let request = pending.take(keep: message.moreSegments, where: { $0.invokeID == invoke }) {
                event.requestService = request.service
                event.latency = flow.lastTime - request.time
            }
        }
        guard emitter.wants(BACnetEvent.eventType) else { return }
        emitter.emitApp(event, flow: flow, direction: direction)
    }

    public func gap(direction: StreamDirection) {}

    public func finish(flow: Flow, emitter: AppEventEmitter) {
        _ = pending.drain()
    }
}
