import SpanwatchJSON
import SpanwatchFlow
import SpanwatchWire

/// The `dnp3` object: Suricata's EVE layout (type, control, src, dst, application, iin), plus
/// function names, control values (CROB, analog outputs, time), file names and device attributes.
enum DNP3EveObject {
    static func write(_ event: DNP3Event, into builder: JSONLineBuilder) {
        let fragment = event.fragment
        builder.beginObject("dnp3")
        builder.field("type", event.kind.rawValue)
        builder.beginObject("control")
        builder.field("dir", event.link.fromMaster)
        builder.field("primary", event.link.primary)
        builder.field("fcb", event.link.frameCountBit)
        builder.field("fcv", event.link.frameCountValid)
        builder.field("function_code", event.link.function)
        builder.endObject()
        builder.field("src", event.link.source)
        builder.field("dst", event.link.destination)
        builder.beginObject("application")
        builder.beginObject("control")
        builder.field("fir", fragment.fir)
        builder.field("fin", fragment.fin)
        builder.field("con", fragment.con)
        builder.field("uns", fragment.uns)
        builder.field("sequence", fragment.sequence)
        builder.endObject()
        builder.field("function_code", fragment.function.rawValue)
        builder.field("function_name", fragment.function.name)
        builder.beginArray("objects")
        for index in 0..<fragment.keptObjectCount {
            let object = fragment.objects[index]
            builder.beginObject()
            builder.field("group", object.group)
            builder.field("variation", object.variation)
            builder.field("qualifier", object.qualifier)
            builder.field("prefix_code", object.prefixCode)
            builder.field("range_code", object.rangeCode)
            builder.field("start", object.start)
            builder.field("stop", object.stop)
            builder.field("count", object.count)
            builder.endObject()
        }
        builder.endArray()
        if fragment.objectCount > DNP3Fragment.objectCapacity {
            builder.field("objects_truncated", fragment.objectCount - DNP3Fragment.objectCapacity)
        }
        if fragment.pointCount > 0 {
            builder.beginArray("points")
            for index in 0..<fragment.keptPointCount { writePoint(fragment.points[index], into: builder) }
            builder.endArray()
            if fragment.pointCount > DNP3Fragment.pointCapacity {
                builder.field("points_truncated", fragment.pointCount - DNP3Fragment.pointCapacity)
            }
        }
        if let name = fragment.fileName { builder.field("file_name", bytes: name) }
        if !fragment.deviceAttributes.isEmpty {
            builder.beginObject("device_attributes")
            for attribute in fragment.deviceAttributes { writeAttribute(attribute.variation, attribute.value, into: builder) }
            builder.endObject()
        }
        builder.field("complete", fragment.complete)
        builder.field("length", fragment.length)
        if event.segments > 1 { builder.field("segments", event.segments) }
        builder.endObject()
        if fragment.hasIIN {
            builder.beginObject("iin")
            builder.beginArray("indicators")
            for bit in 0..<16 where fragment.iin & (1 << UInt16(bit)) != 0 { builder.element(DNP3IIN.names[bit]) }
            builder.endArray()
            builder.endObject()
        }
        if let function = event.requestFunction {
            builder.beginObject("request")
            builder.field("function_code", function.rawValue)
            builder.field("function_name", function.name)
            builder.endObject()
        }
        if let latency = event.latency { builder.field("latency_us", latency) }
        builder.endObject()
    }

    static func writePoint(_ point: DNP3Point, into builder: JSONLineBuilder) {
        builder.beginObject()
        builder.field("group", point.group)
        builder.field("variation", point.variation)
        builder.field("index", point.index)
        switch point.kind {
        case .crob:
            builder.field("control_code", point.controlCode)
            builder.field("operation_type", point.operationTypeName)
            builder.field("trip_close", point.tripCloseName)
            builder.field("count", point.count)
            builder.field("on_time", point.onTime)
            builder.field("off_time", point.offTime)
            builder.field("status", point.status)
        case .analogOutput:
            if point.isFloat { builder.field("value", decimal: point.floatValue, places: 3) } else { builder.field("value", point.integerValue) }
            builder.field("status", point.status)
        case .time:
            builder.field("time", timestamp: Int64(clamping: point.milliseconds) * 1000)
        case .binaryOutput:
            builder.field("status", point.status)
        }
        builder.endObject()
    }

    /// Device attributes (group 0) that identify a device, by variation.
    static func writeAttribute(_ variation: UInt8, _ value: [UInt8], into builder: JSONLineBuilder) {
        switch variation {
        case 242: builder.field("software_version", bytes: value)
        case 243: builder.field("hardware_version", bytes: value)
        case 245: builder.field("location", bytes: value)
        case 246: builder.field("user_id_code", bytes: value)
        case 247: builder.field("device_name", bytes: value)
        case 248: builder.field("serial_number", bytes: value)
        case 249: builder.field("subset_and_conformance", bytes: value)
        case 250: builder.field("product_and_model", bytes: value)
        case 252: builder.field("manufacturer", bytes: value)
        default: break
        }
    }
}
