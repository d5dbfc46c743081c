import SpanwatchJSON
import SpanwatchFlow
import SpanwatchWire

/// The `s7comm` and `cotp` objects, with the field names of CISA's ICSNPP s7comm logs.
enum S7EveObject {
    static func write(_ event: COTPEvent, into builder: JSONLineBuilder) {
        let header = event.header
        builder.beginObject("cotp")
        builder.field("pdu_code", header.type.rawValue)
        builder.field("pdu_name", header.type.name)
        builder.field("dst_ref", header.destinationReference)
        builder.field("src_ref", header.sourceReference)
        if header.type == .connectionRequest || header.type == .connectionConfirm {
            builder.field("class", header.protocolClass >> 4)
            if header.tpduSize != 0 { builder.field("tpdu_size", header.tpduSize) }
            writeTSAP("src_tsap", header.callingTSAP, into: builder)
            writeTSAP("dst_tsap", header.calledTSAP, into: builder)
        }
        builder.endObject()
    }

    static func writeTSAP(_ key: StaticString, _ tsap: COTP.TSAP, into builder: JSONLineBuilder) {
        guard tsap.count > 0 else { return }
        builder.beginObject(key)
        builder.field("value", tsap.hex)
        if let type = tsap.siemensConnectionType {
            builder.field("connection_type", type)
            builder.field("rack", tsap.siemensRack)
            builder.field("slot", tsap.siemensSlot)
        }
        builder.endObject()
    }

    static func write(_ event: S7Event, into builder: JSONLineBuilder) {
        builder.beginObject("s7comm")
        switch event.payload {
        case .s7commPlus(let summary):
            builder.field("protocol", "s7comm_plus" as StaticString)
            builder.field("version", summary.version)
            if summary.hasOpcode {
                builder.field("opcode", summary.opcode)
                builder.field("opcode_name", summary.opcodeName)
            }
            if summary.hasFunction {
                builder.field("function_code", summary.function)
                builder.field("function_name", summary.functionName)
            }
        case .s7comm(let pdu):
            writePDU(pdu, into: builder)
        }
        if event.segments > 1 { builder.field("segments", event.segments) }
        if let function = event.jobFunction {
            builder.beginObject("job")
            builder.field("function_code", function)
            builder.field("function_name", S7Comm.functionName(function))
            builder.endObject()
        }
        if let latency = event.latency { builder.field("latency_us", latency) }
        builder.endObject()
    }

    static func writePDU(_ pdu: S7PDU, into builder: JSONLineBuilder) {
        builder.field("protocol", "s7comm" as StaticString)
        builder.field("rosctr_code", pdu.rosctr)
        builder.field("rosctr_name", S7Comm.rosctrName(pdu.rosctr))
        builder.field("pdu_reference", pdu.pduReference)
        if pdu.hasFunction {
            builder.field("function_code", pdu.function)
            builder.field("function_name", S7Comm.functionName(pdu.function))
        }
        if pdu.hasError && (pdu.errorClass != 0 || pdu.errorCode != 0) {
            builder.field("error_class", pdu.errorClass)
            builder.field("error_code", pdu.errorCode)
        }
        if pdu.function == 0xF0 && pdu.hasFunction {
            builder.beginObject("setup")
            builder.field("max_amq_calling", pdu.maxAmqCalling)
            builder.field("max_amq_called", pdu.maxAmqCalled)
            builder.field("pdu_size", pdu.pduSize)
            builder.endObject()
        }
        if pdu.hasFunction && (pdu.function == 0x04 || pdu.function == 0x05) {
            builder.field("item_count", pdu.itemCount)
            builder.beginArray("items")
            for index in 0..<pdu.keptItemCount {
                let item = pdu.items[index]
                builder.beginObject()
                if item.hasAddress {
                    builder.field("syntax_id", item.syntaxID)
                    builder.field("transport_size", item.transportSize)
                    builder.field("length", item.length)
                    builder.field("area", item.area)
                    builder.field("area_name", S7Comm.areaName(item.area))
                    if item.area == 0x84 || item.area == 0x85 { builder.field("db", item.dbNumber) }
                    builder.field("address", dotted: UInt64(item.byteAddress), UInt64(item.bitAddress))
                    builder.field("byte_address", item.byteAddress)
                    builder.field("bit_address", item.bitAddress)
                } else if item.syntaxID != 0 {
                    builder.field("syntax_id", item.syntaxID)
                }
                if item.hasReturnCode { builder.field("return_code", item.returnCode) }
                builder.endObject()
            }
            builder.endArray()
        }
        if pdu.hasBlock {
            builder.beginObject("block")
            builder.field("function_status", pdu.functionStatus)
            builder.field("session_id", pdu.sessionID)
            if !pdu.fileName.isEmpty {
                builder.field("filename", bytes: pdu.fileName.array)
                if let block = pdu.block {
                    builder.field("block_type", block.type)
                    builder.field("block_number", block.number)
                    builder.field("destination_filesystem", bytes: [block.fileSystem])
                }
            }
            builder.endObject()
        }
        if !pdu.piService.isEmpty {
            builder.field("pi_service", bytes: pdu.piService.array)
            if !pdu.piParameters.isEmpty { builder.field("pi_parameters", bytes: pdu.piParameters.array) }
        }
        if pdu.hasUserdata {
            builder.beginObject("userdata")
            builder.field("type", pdu.userdataType == 4 ? "request" as StaticString : pdu.userdataType == 8 ? "response" : "push")
            builder.field("function_group", pdu.functionGroup)
            builder.field("function_group_name", S7Comm.functionGroupName(pdu.functionGroup))
            if pdu.functionGroup == 0 {
                builder.field("current_mode", pdu.subfunction)
                builder.field("current_mode_name", S7Comm.modeName(pdu.subfunction))
            } else {
                builder.field("subfunction", pdu.subfunction)
                builder.field("subfunction_name", S7Comm.subfunctionName(group: pdu.functionGroup, subfunction: pdu.subfunction))
            }
            builder.field("sequence", pdu.sequenceNumber)
            builder.field("return_code", pdu.userdataReturnCode)
            if pdu.userdataErrorCode != 0 { builder.field("error_code", pdu.userdataErrorCode) }
            if pdu.hasSZL {
                builder.field("szl_id", pdu.szlID)
                builder.field("szl_index", pdu.szlIndex)
            }
            builder.endObject()
        }
        if pdu.hasIdentity {
            let identity = pdu.identity
            builder.beginObject("identity")
            writeText("order_number", identity.orderNumber, into: builder)
            if identity.hasFirmware {
                builder.field("firmware", "V\(identity.firmware.0).\(identity.firmware.1).\(identity.firmware.2)")
            }
            writeText("automation_system_name", identity.systemName, into: builder)
            writeText("module_name", identity.moduleName, into: builder)
            writeText("plant_name", identity.plantName, into: builder)
            writeText("serial_number", identity.serialNumber, into: builder)
            writeText("module_type_name", identity.moduleTypeName, into: builder)
            builder.endObject()
        }
    }

    /// SZL strings are padded with spaces or NULs: written trimmed, and not at all when blank.
    static func writeText(_ key: StaticString, _ text: InlineText, into builder: JSONLineBuilder) {
        let trimmed = text.trimmedArray
        if !trimmed.isEmpty { builder.field(key, bytes: trimmed) }
    }
}
