import SpanwatchFlow
import SpanwatchJSON
import SpanwatchWire

/// The `modbus` object: Suricata's field names, plus what CONTRACT.md asks for.
enum ModbusEveObject {
    static func write(_ transaction: ModbusTransaction, into builder: JSONLineBuilder) {
        builder.beginObject("modbus")
        builder.field("id", transaction.transactionIndex)
        if let request = transaction.request {
            builder.beginObject("request")
            writePDU(request, isResponse: false, identification: nil, into: builder)
            builder.endObject()
        }
        if let response = transaction.response {
            builder.beginObject("response")
            writePDU(response, isResponse: true, identification: transaction.deviceIdentification, into: builder)
            builder.endObject()
        }
        if transaction.unmatchedResponse { builder.field("unmatched_response", true) }
        if let latency = transaction.latency { builder.field("latency_us", latency) }
        builder.endObject()
    }

    static func writePDU(_ pdu: ModbusPDU, isResponse: Bool, identification: ModbusDeviceIdentification?, into builder: JSONLineBuilder) {
        builder.field("transaction_id", pdu.transactionId)
        builder.field("protocol_id", pdu.protocolId)
        builder.field("unit_id", pdu.unitId)
        builder.field("function_raw", pdu.functionRaw)
        builder.field("function_code", pdu.function.name)
        builder.field("category", pdu.function.category)
        if let access = pdu.function.accessType { builder.field("access_type", access) }
        if pdu.isException {
            builder.field("exception", pdu.exceptionCode)
            builder.field("exception_name", exceptionName(pdu.exceptionCode))
        }
        if pdu.hasAddress { builder.field("address", pdu.address) }
        if pdu.hasQuantity { builder.field("quantity", pdu.quantity) }
        if pdu.hasWriteRange {
            builder.field("write_address", pdu.writeAddress)
            builder.field("write_quantity", pdu.writeQuantity)
        }
        if pdu.hasMasks {
            builder.field("and_mask", pdu.andMask)
            builder.field("or_mask", pdu.orMask)
        }
        if pdu.hasSubfunction {
            builder.field("subfunction", pdu.subfunction)
            builder.field("subfunction_name", diagnosticName(pdu.subfunction))
        }
        if pdu.function == .readFileRecord || pdu.function == .writeFileRecord, pdu.fileSubRequestCount > 0 {
            builder.field("file_number", pdu.fileNumber)
            builder.field("sub_requests", pdu.fileSubRequestCount)
        }
        if pdu.valueCount > 0 {
            builder.beginArray("values")
            for index in 0..<pdu.keptValueCount { builder.element(pdu.values[index]) }
            builder.endArray()
            if pdu.valueCount > ModbusPDU.valueCapacity { builder.field("values_truncated", pdu.valueCount) }
        }
        if pdu.hasMEI {
            builder.beginObject("mei")
            builder.field("type", pdu.meiType)
            if pdu.meiType == ModbusPDU.meiReadDeviceIdentification {
                builder.field("read_device_id_code", pdu.readDeviceIdCode)
                if isResponse {
                    builder.field("conformity_level", pdu.conformityLevel)
                    builder.field("more_follows", pdu.moreFollows != 0)
                    builder.field("next_object_id", pdu.nextObjectId)
                } else {
                    builder.field("object_id", pdu.objectId)
                }
            }
            if let identification, !identification.objects.isEmpty {
                builder.beginObject("objects")
                for object in identification.objects {
                    writeDynamicKey(ModbusDeviceIdentification.objectName(object.id), value: object.value, into: builder)
                }
                builder.endObject()
            }
            builder.endObject()
        }
        if !pdu.anomalies.isEmpty {
            builder.beginArray("error_flags")
            for name in pdu.anomalies.eventNames { builder.element(name) }
            builder.endArray()
        }
    }

    /// Device identification object names are a closed set, so they map to static keys.
    static func writeDynamicKey(_ name: String, value: [UInt8], into builder: JSONLineBuilder) {
        switch name {
        case "vendor_name": builder.field("vendor_name", bytes: value)
        case "product_code": builder.field("product_code", bytes: value)
        case "major_minor_revision": builder.field("major_minor_revision", bytes: value)
        case "vendor_url": builder.field("vendor_url", bytes: value)
        case "product_name": builder.field("product_name", bytes: value)
        case "model_name": builder.field("model_name", bytes: value)
        case "user_application_name": builder.field("user_application_name", bytes: value)
        default: break  // private objects (0x80-0xFF) carry binary data: not written as text
        }
    }

    static func exceptionName(_ code: UInt8) -> String {
        switch code {
        case 1: "ILLEGAL_FUNCTION"
        case 2: "ILLEGAL_DATA_ADDRESS"
        case 3: "ILLEGAL_DATA_VALUE"
        case 4: "SERVER_DEVICE_FAILURE"
        case 5: "ACKNOWLEDGE"
        case 6: "SERVER_DEVICE_BUSY"
        case 8: "MEMORY_PARITY_ERROR"
        case 10: "GATEWAY_PATH_UNAVAILABLE"
        case 11: "GATEWAY_TARGET_FAILED_TO_RESPOND"
        default: "unknown-\(code)"
        }
    }

    /// FC 8 sub-functions (Application Protocol §6.8.1).
    static func diagnosticName(_ code: UInt16) -> String {
        switch code {
        case 0: "RETURN_QUERY_DATA"
        case 1: "RESTART_COMMUNICATIONS_OPTION"
        case 2: "RETURN_DIAGNOSTIC_REGISTER"
        case 3: "CHANGE_ASCII_INPUT_DELIMITER"
        case 4: "FORCE_LISTEN_ONLY_MODE"
        case 10: "CLEAR_COUNTERS_AND_DIAGNOSTIC_REGISTER"
        case 11: "RETURN_BUS_MESSAGE_COUNT"
        case 12: "RETURN_BUS_COMMUNICATION_ERROR_COUNT"
        case 13: "RETURN_BUS_EXCEPTION_ERROR_COUNT"
        case 14: "RETURN_SERVER_MESSAGE_COUNT"
        case 15: "RETURN_SERVER_NO_RESPONSE_COUNT"
        case 16: "RETURN_SERVER_NAK_COUNT"
        case 17: "RETURN_SERVER_BUSY_COUNT"
        case 18: "RETURN_BUS_CHARACTER_OVERRUN_COUNT"
        case 20: "CLEAR_OVERRUN_COUNTER_AND_FLAG"
        default: "unknown-\(code)"
        }
    }
}
