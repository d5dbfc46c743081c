import SpanwatchFlow
import SpanwatchJSON
import SpanwatchWire

/// The `enip` object: Suricata 8's layout (`request`/`response` with `command`, `status`,
/// `cip{service, class_name, path[], multiple[]}`, `identity`), with the raw numbers beside the
/// names (CONTRACT.md §2), and `io` for implicit I/O.
enum ENIPEveObject {
    static func write(_ event: ENIPEvent, into builder: JSONLineBuilder) {
        builder.beginObject("enip")
        if let io = event.io {
            builder.beginObject("io")
            if let id = io.connectionID { builder.field("connection_id", id) }
            if let sequence = io.encapsulationSequence { builder.field("sequence", sequence) }
            if let sequence = io.cipSequence { builder.field("cip_sequence", sequence) }
            builder.field("length", io.ioLength)
            builder.endObject()
        }
        let requestClass = event.request?.cip?.path.classID
        if let request = event.request { write(request, key: "request", requestClass: requestClass, into: builder) }
        if let response = event.response { write(response, key: "response", requestClass: requestClass, into: builder) }
        if let latency = event.latency { builder.field("latency_us", latency) }
        builder.endObject()
    }

    static func write(_ message: ENIPMessage, key: StaticString, requestClass: UInt32?, into builder: JSONLineBuilder) {
        builder.beginObject(key)
        builder.field("command", ENIP.commandName(message.command))
        builder.field("command_code", message.command)
        builder.field("status", CIPNames.encapsulationStatus(message.status))
        builder.field("status_code", message.status)
        builder.field("session", message.session)
        if let id = message.connectionID { builder.field("connection_id", id) }
        if let cip = message.cip { write(cip, requestClass: requestClass, into: builder) }
        let identity = message.identity ?? (requestClass == 0x01 ? message.cip?.identityAttributes : nil)
        if let identity { write(identity, into: builder) }
        builder.endObject()
    }

    static func write(_ cip: CIPMessage, requestClass: UInt32?, into builder: JSONLineBuilder) {
        builder.beginObject("cip")
        let classID = cip.isResponse ? requestClass : cip.path.classID
        builder.field("service", CIPNames.service(cip.service, classID: classID))
        builder.field("service_code", cip.service)
        if cip.isResponse {
            builder.field("status", CIPNames.generalStatus(cip.generalStatus))
            builder.field("general_status", cip.generalStatus)
            if let extended = cip.extendedStatus { builder.field("extended_status", extended) }
        } else {
            writePath(cip.path, into: builder)
            if let open = cip.forwardOpen {
                builder.beginObject("connection")
                builder.field("ot_id", open.originatorToTargetID)
                builder.field("to_id", open.targetToOriginatorID)
                builder.field("ot_rpi", open.originatorToTargetRPI)
                builder.field("to_rpi", open.targetToOriginatorRPI)
                builder.field("ot_size", open.originatorToTargetSize)
                builder.field("to_size", open.targetToOriginatorSize)
                builder.endObject()
            }
            if let pccc = cip.pccc { write(pccc, into: builder) }
        }
        if cip.embeddedCount > 0 {
            builder.beginArray("multiple")
            for index in 0..<cip.embeddedCount {
                let inner = cip.embedded[index]
                builder.beginObject()
                builder.field("service", CIPNames.service(inner.service, classID: inner.path.classID))
                builder.field("service_code", inner.service)
                if inner.isResponse {
                    builder.field("status", CIPNames.generalStatus(inner.generalStatus))
                    builder.field("general_status", inner.generalStatus)
                } else {
                    writePath(inner.path, into: builder)
                    if let pccc = inner.pccc { write(pccc, into: builder) }
                }
                builder.endObject()
            }
            builder.endArray()
        }
        builder.endObject()
    }

    /// Execute PCCC's command: `pccc{command, function, mode}` (raw numbers, as tshark's cip.pccc fields).
    static func write(_ pccc: PCCCCommand, into builder: JSONLineBuilder) {
        builder.beginObject("pccc")
        builder.field("command", pccc.command)
        if let function = pccc.function { builder.field("function", function) }
        if let mode = pccc.mode { builder.field("mode", mode) }
        builder.endObject()
    }

    static func writePath(_ path: CIPPath, into builder: JSONLineBuilder) {
        if let classID = path.classID {
            if let name = CIPNames.className(classID) { builder.field("class_name", name) }
            builder.field("class", classID)
        }
        if let instance = path.instance { builder.field("instance", instance) }
        if let attribute = path.attribute { builder.field("attribute", attribute) }
        if path.hasSymbol { builder.field("tag", String(decoding: path.symbol.array, as: UTF8.self)) }
        guard path.classID != nil || path.instance != nil || path.attribute != nil else { return }
        builder.beginArray("path")
        for (type, value): (StaticString, UInt32?) in [("class", path.classID), ("instance", path.instance), ("attribute", path.attribute)] {
            guard let value else { continue }
            builder.beginObject()
            builder.field("segment_type", type)
            builder.field("value", value)
            builder.endObject()
        }
        builder.endArray()
    }

    static func write(_ identity: ENIPIdentity, into builder: JSONLineBuilder) {
        builder.beginObject("identity")
        // Suricata writes the vendor and device type as text: the name where known, else the number.
        builder.field("vendor_id", CIPNames.vendor(identity.vendorID).map { $0.description } ?? String(identity.vendorID))
        builder.field("vendor_id_code", identity.vendorID)
        builder.field("device_type", CIPNames.deviceType(identity.deviceType).map { $0.description } ?? String(identity.deviceType))
        builder.field("device_type_code", identity.deviceType)
        builder.field("product_code", identity.productCode)
        builder.field("revision", "\(identity.revisionMajor).\(identity.revisionMinor)")
        builder.field("serial", identity.serial)
        builder.field("product_name", String(decoding: identity.productName.array, as: UTF8.self))
        builder.field("status", identity.status)
        if let state = identity.state { builder.field("state", state) }
        if identity.protocolVersion > 0 { builder.field("protocol_version", identity.protocolVersion) }
        builder.endObject()
    }
}
