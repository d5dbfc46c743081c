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

    let maximumPendingRequests: Int
    var pending: [Pending] = []
    public private(set) var messages = 0
    public private(set) var forgottenRequests = 0

    public init(limits: SessionLimits) {
        maximumPendingRequests = limits[BACnetProtocol.pendingRequests]
    }

    public var heapBytes: Int { pending.capacity * MemoryLayout<Pending>.stride }

    public func receive(_ bytes: RawSpan, direction: StreamDirection, flow: Flow, emitter: AppEventEmitter) {
        messages += 1
        let message = BACnet.parse(bytes)
        for name in message.anomalies.eventNames {
            emitter.emitAnomaly(AnomalyEvent(kind: .applayer, event: name, layer: "bacnet"), flow: flow, direction: direction)
        }
        var event = BACnetEvent(message: message, direction: direction)
        if message.hasAPDU, let invoke = message.invokeID {
            if message.apduType == 0, let service = message.service, (message.sequenceNumber ?? 0) == 0 {
                if pending.count >= maximumPendingRequests, !pending.isEmpty {
                    pending.removeFirst()
                    forgottenRequests += 1
                }
                pending.append(Pending(invokeID: invoke, service: service, time: flow.lastTime))
            } else if (2...7).contains(message.apduType) && message.apduType != 4,
                      let index = pending.firstIndex(where: { $0.invokeID == invoke }) {
                event.requestService = pending[index].service
                event.latency = flow.lastTime - pending[index].time
                // A segmented answer keeps its request until the last segment.
                if !message.moreSegments { pending.remove(at: index) }
            }
        }
        guard emitter.wants(BACnetEvent.eventType) else { return }
        emitter.emitApp(event, flow: flow, direction: direction)
    }

    public func gap(direction: StreamDirection) {}

    public func finish(flow: Flow, emitter: AppEventEmitter) {
        pending.removeAll()
    }
}
