import SpanwatchJSON
import SpanwatchFlow
import SpanwatchWire

/// The `mqtt` object in Suricata's layout: one object keyed by the message type, with the
/// fixed-header fields and the type's own (never a password: only `flags.password`).
enum MQTTEveObject {
    static func write(_ event: MQTTEvent, into builder: JSONLineBuilder) {
        let message = event.message
        builder.beginObject("mqtt")
        switch message.type {
        case 1: builder.beginObject("connect")
        case 2: builder.beginObject("connack")
        case 3: builder.beginObject("publish")
        case 4: builder.beginObject("puback")
        case 5: builder.beginObject("pubrec")
        case 6: builder.beginObject("pubrel")
        case 7: builder.beginObject("pubcomp")
        case 8: builder.beginObject("subscribe")
        case 9: builder.beginObject("suback")
        case 10: builder.beginObject("unsubscribe")
        case 11: builder.beginObject("unsuback")
        case 12: builder.beginObject("pingreq")
        case 13: builder.beginObject("pingresp")
        case 14: builder.beginObject("disconnect")
        case 15: builder.beginObject("auth")
        default: builder.beginObject("reserved")
        }
        builder.field("qos", message.qos)
        builder.field("retain", message.retain)
        builder.field("dup", message.dup)
        if let id = message.packetID { builder.field("message_id", id) }
        switch message.type {
        case 1:
            if let name = event.protocolName { builder.field("protocol_string", bytes: name) }
            builder.field("protocol_version", message.protocolLevel)
            if let client = event.clientID { builder.field("client_id", bytes: client) }
            builder.beginObject("flags")
            builder.field("username", message.connectFlags & 0x80 != 0)
            builder.field("password", message.connectFlags & 0x40 != 0)
            builder.field("will_retain", message.connectFlags & 0x20 != 0)
            builder.field("will", message.connectFlags & 0x04 != 0)
            builder.field("clean_session", message.connectFlags & 0x02 != 0)
            builder.endObject()
            if let user = event.username { builder.field("username", bytes: user) }
            if let will = event.willTopic {
                builder.beginObject("will")
                builder.field("topic", bytes: will)
                builder.endObject()
            }
            builder.field("keepalive", message.keepAlive)
        case 2:
            builder.field("session_present", message.sessionPresent)
            if let code = message.reasonCode { builder.field(event.protocolLevel >= 5 ? "reason_code" : "return_code", code) }
        case 3:
            if let topic = event.topic { builder.field("topic", bytes: topic) }
            builder.field("payload_length", event.payloadLength)
            if let payload = event.payload { builder.field("payload_printable", bytes: payload) }
        case 8, 10:
            builder.beginArray("topics")
            for entry in event.topics {
                builder.beginObject()
                builder.field("topic", bytes: entry.filter)
                if message.type == 8 { builder.field("qos", entry.qos) }
                builder.endObject()
            }
            builder.endArray()
        case 9, 11:
            builder.beginArray(message.type == 9 ? "qos_granted" : "reason_codes")
            for index in 0..<message.keptCodeCount { builder.element(message.codes[index]) }
            builder.endArray()
        default:
            if let code = message.reasonCode { builder.field("reason_code", code) }
        }
        if message.propertyCount > 0 {
            builder.beginObject("properties")
            builder.field("count", message.propertyCount)
            if message.userPropertyCount > 0 { builder.field("user_properties", message.userPropertyCount) }
            builder.endObject()
        }
        if event.truncated {
            builder.field("truncated", true)
            builder.field("skipped_length", event.skippedLength)
        }
        builder.endObject()
        builder.endObject()
    }
}
