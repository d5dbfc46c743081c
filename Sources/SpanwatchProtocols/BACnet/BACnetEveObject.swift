import SpanwatchFlow
import SpanwatchJSON
import SpanwatchWire

/// The `bacnet` object (CONTRACT.md §2): BVLC, NPDU, APDU, the object and property a message
/// names, errors, and I-Am's identity; raw numbers beside the names.
enum BACnetEveObject {
    static func write(_ event: BACnetEvent, into builder: JSONLineBuilder) {
        let message = event.message
        builder.beginObject("bacnet")
        builder.field("bvlc_function", message.function)
        if let name = BACnetNames.bvlcFunction(message.function) { builder.field("bvlc_function_name", name) }
        builder.field("bvlc_length", message.bvlcLength)
        if let result = message.resultCode { builder.field("bvlc_result", result) }
        if message.hasNPDU {
            builder.beginObject("npdu")
            builder.field("control", message.npduControl)
            if let network = message.sourceNetwork { builder.field("src_network", network) }
            if let network = message.destinationNetwork { builder.field("dest_network", network) }
            if let type = message.networkMessageType { builder.field("message_type", type) }
            builder.endObject()
        }
        if message.hasAPDU {
            builder.beginObject("apdu")
            builder.field("type", message.apduType)
            if let name = BACnetNames.apduType(message.apduType) { builder.field("type_name", name) }
            if let service = message.service {
                builder.field("service", service)
                if let name = BACnetNames.service(service, apduType: message.apduType) { builder.field("service_name", name) }
            }
            if let invoke = message.invokeID { builder.field("invoke_id", invoke) }
            builder.field("segmented", message.segmented)
            if message.moreSegments { builder.field("more_segments", true) }
            if let sequence = message.sequenceNumber { builder.field("sequence_number", sequence) }
            builder.endObject()
        }
        if let object = message.object {
            builder.beginObject("object")
            builder.field("type", object.type)
            if let name = BACnetNames.objectType(object.type) { builder.field("type_name", name) }
            builder.field("instance", object.instance)
            builder.endObject()
        }
        if let property = message.propertyID {
            builder.beginObject("property")
            builder.field("id", property)
            if let name = BACnetNames.property(property) { builder.field("name", name) }
            switch message.value {
            case .unsigned(let value)?: builder.field("value", value)
            case .real(let value)? where value.isFinite: builder.field("value", decimal: value, places: 6)
            case .text(let text)?: builder.field("value", String(decoding: text.array, as: UTF8.self))
            default: break
            }
            builder.endObject()
        }
        if message.apduType == 5, message.hasAPDU {
            builder.beginObject("error")
            if let value = message.errorClass { builder.field("class", value) }
            if let value = message.errorCode { builder.field("code", value) }
            builder.endObject()
        }
        if message.hasAPDU, let reason = message.reason {
            builder.field(message.apduType == 6 ? "reject_reason" : "abort_reason", reason)
        }
        if message.apduType == 1, message.service == 0, let object = message.object {
            builder.field("device_instance", object.instance)
            if let vendor = message.vendorID { builder.field("vendor_id", vendor) }
            if let maximum = message.maximumAPDU { builder.field("max_apdu", maximum) }
        }
        if let service = event.requestService { builder.field("request_service", service) }
        if let latency = event.latency { builder.field("latency_us", latency) }
        builder.endObject()
    }
}
