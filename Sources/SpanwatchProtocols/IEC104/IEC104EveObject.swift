import SpanwatchFlow
import SpanwatchJSON
import SpanwatchWire

/// The `iec104` object (CONTRACT.md §2): `apci`, and for I-frames `asdu` with its objects.
enum IEC104EveObject {
    static func write(_ event: IEC104Event, into builder: JSONLineBuilder) {
        let apdu = event.apdu
        builder.beginObject("iec104")
        builder.beginObject("apci")
        builder.field("type", apdu.format.rawValue)
        switch apdu.format {
        case .i:
            builder.field("send_seq", apdu.sendSequence)
            builder.field("recv_seq", apdu.receiveSequence)
        case .s:
            builder.field("recv_seq", apdu.receiveSequence)
        case .u:
            builder.field("u_function", apdu.uFunction)
            if let name = uFunctionName(apdu.uFunction) { builder.field("u_function_name", name) }
        }
        builder.field("length", apdu.length)
        builder.endObject()
        if let asdu = apdu.asdu { write(asdu, into: builder) }
        if let latency = event.latency { builder.field("latency_us", latency) }
        builder.endObject()
    }

    static func write(_ asdu: IEC104ASDU, into builder: JSONLineBuilder) {
        builder.beginObject("asdu")
        builder.field("type_id", asdu.typeID)
        if let name = IEC104Names.typeName(asdu.typeID) { builder.field("type_name", name) }
        // A header cut short writes the fields it holds, and says so.
        if !asdu.isComplete { builder.field("truncated", true) }
        if asdu.headerBytes >= 2 {
            builder.beginObject("vsq")
            builder.field("sq", asdu.sequence)
            builder.field("count", asdu.count)
            builder.endObject()
        }
        if asdu.headerBytes >= 3 {
            builder.field("cot", asdu.cause)
            if let name = IEC104Names.causeName(asdu.cause) { builder.field("cot_name", name) }
            builder.field("negative", asdu.negative)
            builder.field("test", asdu.test)
        }
        if asdu.headerBytes >= 4 { builder.field("originator", asdu.originator) }
        if asdu.headerBytes >= 6 { builder.field("common_address", asdu.commonAddress) }
        if asdu.keptObjectCount > 0 {
            builder.beginArray("objects")
            for index in 0..<asdu.keptObjectCount { write(asdu.objects[index], into: builder) }
            builder.endArray()
            if asdu.count > asdu.keptObjectCount { builder.field("objects_truncated", true) }
        }
        builder.endObject()
    }

    static func write(_ object: IEC104Object, into builder: JSONLineBuilder) {
        builder.beginObject()
        builder.field("ioa", object.address)
        switch object.value {
        case .integer(let value): builder.field("value", value)
        case .real(let value) where value.isFinite: builder.field("value", decimal: value, places: 6)
        case .real, .none: break
        }
        if let quality = object.quality { builder.field("quality", quality) }
        if let time = object.time {
            // CP56Time2a carries a two-digit year; 2000-2099 is the convention (lib60870, Wireshark).
            builder.field("time", "20\(pad(time.year))-\(pad(time.month))-\(pad(time.day))T\(pad(time.hour)):\(pad(time.minute)):"
                + "\(pad(UInt8(min(time.milliseconds / 1000, 99)))).\(pad3(time.milliseconds % 1000))")
        }
        builder.endObject()
    }

    static func pad(_ value: UInt8) -> String { value < 10 ? "0\(value)" : "\(value)" }
    static func pad3(_ value: UInt16) -> String { value < 10 ? "00\(value)" : value < 100 ? "0\(value)" : "\(value)" }

    static func uFunctionName(_ function: UInt8) -> StaticString? {
        switch function {
        case 0x01: "STARTDT act"
        case 0x02: "STARTDT con"
        case 0x04: "STOPDT act"
        case 0x08: "STOPDT con"
        case 0x10: "TESTFR act"
        case 0x20: "TESTFR con"
        default: nil
        }
    }
}
