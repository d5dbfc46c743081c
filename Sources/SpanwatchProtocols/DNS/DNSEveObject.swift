import SpanwatchJSON
import SpanwatchFlow
import SpanwatchWire

/// The `dns` object in Suricata's EVE DNS version 3 layout: one object per message, with queries
/// and (for responses) answers, authorities and additionals.
enum DNSEveObject {
    static func write(_ event: DNSEvent, into builder: JSONLineBuilder) {
        let message = event.message
        builder.beginObject("dns")
        builder.field("version", 3)
        builder.field("type", message.isResponse ? "response" as StaticString : "request")
        builder.field("id", message.id)
        builder.field("flags", hexWord: message.flags)
        if message.isResponse { builder.field("qr", true) }
        if message.authoritative { builder.field("aa", true) }
        if message.truncated { builder.field("tc", true) }
        if message.recursionDesired { builder.field("rd", true) }
        if message.recursionAvailable { builder.field("ra", true) }
        if message.authenticData { builder.field("ad", true) }
        if message.checkingDisabled { builder.field("cd", true) }
        builder.field("opcode", message.opcode)
        if message.isResponse { builder.field("rcode", DNS.rcodeName(message.rcode)) }
        if !event.queries.isEmpty {
            builder.beginArray("queries")
            for query in event.queries {
                builder.beginObject()
                builder.field("rrname", bytes: query.name)
                builder.field("rrtype", DNS.typeName(query.type))
                builder.endObject()
            }
            builder.endArray()
        }
        for (section, key) in [(DNS.Record.Section.answer, "answers"), (.authority, "authorities"), (.additional, "additionals")] {
            let records = event.answers.filter { $0.section == section }
            guard !records.isEmpty else { continue }
            switch key {
            case "answers": builder.beginArray("answers")
            case "authorities": builder.beginArray("authorities")
            default: builder.beginArray("additionals")
            }
            for record in records {
                builder.beginObject()
                builder.field("rrname", bytes: record.name)
                builder.field("rrtype", DNS.typeName(record.type))
                builder.field("ttl", record.ttl)
                builder.field("rdata", bytes: record.data)
                builder.endObject()
            }
            builder.endArray()
        }
        let counted = Int(message.questionCount) + Int(message.answerCount) + Int(message.authorityCount) + Int(message.additionalCount)
        let kept = message.keptQuestionCount + message.keptRecordCount
        if message.questionsParsed + message.recordsParsed > kept { builder.field("records_truncated", message.questionsParsed + message.recordsParsed - kept) }
        if message.questionsParsed + message.recordsParsed < counted { builder.field("records_unparsed", counted - message.questionsParsed - message.recordsParsed) }
        if message.hasEDNS {
            builder.beginObject("edns")
            builder.field("udp_size", message.ednsUDPSize)
            builder.field("version", message.ednsVersion)
            builder.field("do", message.ednsDNSSECOK)
            builder.endObject()
        }
        if let latency = event.latency { builder.field("latency_us", latency) }
        builder.endObject()
    }
}
