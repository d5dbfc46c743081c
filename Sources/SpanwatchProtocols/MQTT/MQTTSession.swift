import SpanwatchFlow
import SpanwatchJSON
import SpanwatchWire

/// One MQTT message as an event (strings made from the message only when the event is wanted).
public struct MQTTEvent: Sendable {
    public var message: MQTT.Message
    public var protocolName: [UInt8]? = nil
    public var clientID: [UInt8]? = nil
    public var willTopic: [UInt8]? = nil
    public var username: [UInt8]? = nil
    public var topic: [UInt8]? = nil
    public var topics: [(filter: [UInt8], qos: UInt8)] = []
    public var payloadLength = 0
    /// The first bytes of a PUBLISH payload, when configured (`limits.mqtt_payload_bytes`).
    public var payload: [UInt8]? = nil
    /// A message larger than the configured maximum: reported from its first bytes, then skipped.
    public var truncated = false
    public var skippedLength = 0
    public var protocolLevel: UInt8 = 4
}

/// MQTT over one TCP flow: messages framed in both directions (several in a segment, one across
/// segments), parsed with the protocol level of the flow's CONNECT, one `mqtt` event each.
/// A message longer than `limits.mqtt_message_bytes` is reported as truncated from the bytes at
/// hand and its remainder is skipped, never buffered.
public final class MQTTSession: AppSession {
    struct Direction {
        var buffer: [UInt8] = []
        var skipRemaining = 0
    }

    let maximumMessageBytes: Int
    let payloadBytesKept: Int
    var toServer = Direction()
    var toClient = Direction()
    var protocolLevel: UInt8 = 4
    public private(set) var messages = 0

    public init(limits: SessionLimits) {
        maximumMessageBytes = limits[MQTTProtocol.messageBytes]
        payloadBytesKept = limits[MQTTProtocol.payloadBytes]
    }

    public var heapBytes: Int { toServer.buffer.capacity + toClient.buffer.capacity }

    public func receive(_ bytes: RawSpan, direction: StreamDirection, flow: Flow, emitter: AppEventEmitter) {
        var side = direction == .toServer ? toServer : toClient
        if direction == .toServer { toServer = Direction() } else { toClient = Direction() }
        defer { if direction == .toServer { toServer = side } else { toClient = side } }
        var offset = 0
        while offset < bytes.byteCount {
            if side.skipRemaining > 0 {
                let take = min(side.skipRemaining, bytes.byteCount - offset)
                side.skipRemaining -= take
                offset += take
                continue
            }
            if !side.buffer.isEmpty {
                // Complete the buffered message: first its header, then its body.
                let needed: Int
                switch side.buffer.withUnsafeBytes({ MQTT.fixedHeader($0.bytes) }) {
                case .header(let headerLength, let remaining): needed = headerLength + remaining
                case .needMore: needed = side.buffer.count + 1
                case .invalidRemainingLength:
                    reject("mqtt.invalid_remaining_length", &side, direction: direction, flow: flow, emitter: emitter)
                    return
                }
                let take = min(needed - side.buffer.count, bytes.byteCount - offset)
                side.buffer.appendBytes(of: bytes.extracting(offset..<(offset + take)))
                offset += take
                if side.buffer.count == needed, case .header = side.buffer.withUnsafeBytes({ MQTT.fixedHeader($0.bytes) }) {
                    let message = side.buffer
                    side.buffer.removeAll(keepingCapacity: true)
                    message.withUnsafeBytes { handle($0.bytes, direction: direction, flow: flow, emitter: emitter) }
                }
                continue
            }
            let rest = bytes.extracting(offset..<bytes.byteCount)
            switch MQTT.fixedHeader(rest) {
            case .needMore:
                side.buffer.appendBytes(of: rest)
                return
            case .invalidRemainingLength:
                reject("mqtt.invalid_remaining_length", &side, direction: direction, flow: flow, emitter: emitter)
                return
            case .header(let headerLength, let remaining):
                let total = headerLength + remaining
                if total <= rest.byteCount {
                    handle(rest.extracting(0..<total), direction: direction, flow: flow, emitter: emitter)
                    offset += total
                } else if total > maximumMessageBytes {
                    // Too large to keep: report what is here, skip the rest as it passes.
                    handle(rest, direction: direction, flow: flow, emitter: emitter, truncatedFrom: total)
                    side.skipRemaining = total - rest.byteCount
                    return
                } else {
                    side.buffer.appendBytes(of: rest)
                    return
                }
            }
        }
    }

    public func gap(direction: StreamDirection) {
        if direction == .toServer { toServer = Direction() } else { toClient = Direction() }
    }

    public func finish(flow: Flow, emitter: AppEventEmitter) {}

    private func reject(_ anomaly: String, _ side: inout Direction, direction: StreamDirection, flow: Flow, emitter: AppEventEmitter) {
        side.buffer.removeAll(keepingCapacity: true)
        emitter.emitAnomaly(AnomalyEvent(kind: .applayer, event: anomaly, layer: "mqtt"), flow: flow, direction: direction)
    }

    private func handle(_ bytes: RawSpan, direction: StreamDirection, flow: Flow, emitter: AppEventEmitter, truncatedFrom total: Int? = nil) {
        messages += 1
        var message = MQTT.parse(bytes, level: protocolLevel)
        if message.type == 1 && message.protocolLevel != 0 { protocolLevel = message.protocolLevel }
        if total != nil {
            message.anomalies.remove(.truncated)  // expected: the message was cut on purpose
        }
        for name in message.anomalies.eventNames {
            emitter.emitAnomaly(AnomalyEvent(kind: .applayer, event: name, layer: "mqtt"), flow: flow, direction: direction)
        }
        guard emitter.wants(MQTTEvent.eventType) else { return }
        func text(_ range: MQTT.Range?) -> [UInt8]? { range.map { bytes.extracting($0.start..<$0.end).copyBytes() } }
        var event = MQTTEvent(message: message)
        event.protocolLevel = protocolLevel
        event.protocolName = text(message.protocolName)
        event.clientID = text(message.clientID)
        event.willTopic = text(message.willTopic)
        event.username = text(message.username)
        event.topic = text(message.topic)
        event.topics = (0..<message.keptTopicCount).map { index in
            let entry = message.topics[index]
            return (bytes.extracting(entry.start..<entry.end).copyBytes(), entry.qos)
        }
        if let payload = message.payload {
            // The payload runs to the message's end: for a cut message, past the bytes at hand.
            event.payloadLength = (total ?? payload.end) - payload.start
            if payloadBytesKept > 0 {
                let end = min(payload.end, payload.start + payloadBytesKept)
                event.payload = bytes.extracting(payload.start..<end).copyBytes()
            }
        }
        if let total {
            event.truncated = true
            event.skippedLength = total - bytes.byteCount
        }
        emitter.emitApp(event, flow: flow, direction: direction)
    }
}
