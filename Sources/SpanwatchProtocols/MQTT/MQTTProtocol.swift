import SpanwatchFlow
import SpanwatchJSON
import SpanwatchWire

/// MQTT 3.1, 3.1.1 and 5.0 (TCP 1883, and by a CONNECT anywhere): the registration, the
/// baseline's vocabulary (client ids, topics published, filters subscribed), and cleartext
/// passwords for the policy.
public enum MQTTProtocol: AppLayerProtocol {
    public static let name = "mqtt"
    public static let defaultPorts: [UInt16] = [1883]
    public static let transports: Set<TransportLayer> = [.tcp]
    public static let eventTypes = [MQTTEvent.eventType]
    public static let roles = (client: "mqtt_client", server: "mqtt_broker")
    /// Messages larger than this are reported as truncated and skipped, never buffered.
    public static let messageBytes = SessionLimit(key: "mqtt_message_bytes", defaultValue: 65536, unit: .bytes)
    /// PUBLISH payload bytes written in events (0: none; the length is always written).
    public static let payloadBytes = SessionLimit(key: "mqtt_payload_bytes", defaultValue: 0, unit: .bytes)
    public static let limits = [messageBytes, payloadBytes]

    public static func probe(_ bytes: RawSpan, transport: TransportLayer, serverPort: UInt16, clientPort: UInt16) -> ProbeVerdict {
        guard transport == .tcp else { return .no }
        switch MQTT.probe(bytes) {
        case .match: return .match
        case .needMore: return .needMore
        case .no:
            // Picked up mid-session on the MQTT ports: any well-formed fixed header will do.
            if (serverPort == 1883 || clientPort == 1883), bytes.byteCount >= 2, bytes.u8(0) >> 4 != 0,
               case .header = MQTT.fixedHeader(bytes) {
                return .match
            }
            return .no
        }
    }

    public static func makeSession(transport: TransportLayer, context: SessionContext) -> AppSession? {
        transport == .tcp ? MQTTSession(limits: context.limits) : nil
    }

    /// Names kept per edge and field; past it the edge allows any (`truncated`).
    static let namesPerEdge = 256

    public static let clientID = OperationField(protocolName: name, key: "client_id", section: "client_ids", capacity: namesPerEdge, layout: .block,
                                                describe: { value, _, _ in "MQTT client id '\(OperationField.plain(value))'" })
    /// A publish is a write: what subscribers (actuators, dashboards, historians) take as the value.
    public static let publish = OperationField(protocolName: name, key: "publish", section: "publish", capacity: namesPerEdge, layout: .block,
                                               describe: { value, _, _ in "MQTT publish to '\(OperationField.plain(value))'" },
                                               isWrite: { _ in true })
    public static let subscribe = OperationField(protocolName: name, key: "subscribe", section: "subscribe", capacity: namesPerEdge, layout: .block,
                                                 describe: { value, _, _ in "MQTT subscribe to '\(OperationField.plain(value))'" })
    public static let vocabulary = OperationVocabulary(protocolName: name, fields: [clientID, publish, subscribe])
}

extension ProtocolOperation {
    public static func mqttClientID(_ id: String) -> ProtocolOperation { ProtocolOperation(MQTTProtocol.clientID, .text(id)) }
    public static func mqttPublish(_ topic: String) -> ProtocolOperation { ProtocolOperation(MQTTProtocol.publish, .text(topic)) }
    public static func mqttSubscribe(_ filter: String) -> ProtocolOperation { ProtocolOperation(MQTTProtocol.subscribe, .text(filter)) }
}

extension MQTTEvent: ProtocolEvent {
    public static let eventType = EventType("mqtt")

    public func writeEve(into builder: JSONLineBuilder) { MQTTEveObject.write(self, into: builder) }

    public func visitOperations(direction: StreamDirection?, _ visitor: (ProtocolOperation) -> Void) {
        guard direction != .toClient else { return }
        switch message.type {
        case 1: if let clientID { visitor(.mqttClientID(String(decoding: clientID, as: UTF8.self))) }
        case 3: if let topic { visitor(.mqttPublish(String(decoding: topic, as: UTF8.self))) }
        case 8: for entry in topics { visitor(.mqttSubscribe(String(decoding: entry.filter, as: UTF8.self))) }
        default: break
        }
    }

    /// A PUBLISH's payload: its text where `limits.mqtt_payload_bytes` keeps it, else its length.
    public var writtenValues: String? {
        guard message.type == 3 else { return nil }
        if let payload, !payload.isEmpty { return "'" + String(decoding: payload.prefix(64), as: UTF8.self) + (payload.count > 64 ? "...'" : "'") }
        return "\(payloadLength) bytes"
    }

    /// A CONNECT with a password (the password itself is never read).
    public var cleartextCredentials: (method: String, user: String)? {
        guard message.type == 1, message.passwordPresent else { return nil }
        return ("MQTT CONNECT", username.map { String(decoding: $0, as: UTF8.self) } ?? "?")
    }
}

extension AppProtocol {
    /// A flow speaking mqtt (`app_proto: mqtt`).
    public static let mqtt = AppProtocol(MQTTProtocol.self)
}
