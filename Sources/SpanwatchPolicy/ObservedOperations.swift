import SpanwatchFlow
import SpanwatchWire

/// One operation a protocol event shows a client using on an edge, in the baseline's terms.
/// Learning inserts them into the edge; monitoring asks the edge whether it allows them. Both go
/// through `ObservedOperations.visit`, so they cannot disagree on what an event means.
public enum ObservedOperation: Sendable, Equatable {
    case modbusUnit(UInt8)
    case modbusFunction(UInt8)
    case modbusRead(ModbusTable, ClosedRange<UInt32>)
    case modbusWrite(ModbusTable, ClosedRange<UInt32>)
    case dnp3Link(DNP3LinkPair)
    case dnp3Function(UInt8)
    case dnp3Group(UInt8)
    case dnp3Write(UInt8, ClosedRange<UInt32>)
    case s7Function(String)
    case s7Write(String, ClosedRange<UInt32>)
    case s7PIService(String)
    case mqttClientID(String)
    case mqttPublish(String)
    case mqttSubscribe(String)
    case httpMethod(String)
    case httpHost(String)

    /// Writes are judged by range (`write_out_of_range`); everything else by membership (`new_operation`).
    public var isRangedWrite: Bool {
        switch self {
        case .modbusWrite, .dnp3Write, .s7Write: true
        default: false
        }
    }

    /// The baseline key below the edge: `modbus.function 16`, `modbus.write holding_registers 100-109`.
    public var keyText: String {
        switch self {
        case .modbusUnit(let unit): "modbus.unit \(unit)"
        case .modbusFunction(let code): "modbus.function \(code)"
        case .modbusRead(let table, let range): "modbus.read \(table.rawValue) \(AddressRanges.text(range))"
        case .modbusWrite(let table, let range): "modbus.write \(table.rawValue) \(AddressRanges.text(range))"
        case .dnp3Link(let link): "dnp3.link \(link)"
        case .dnp3Function(let code): "dnp3.function \(DNP3Function(rawValue: code).name)"
        case .dnp3Group(let group): "dnp3.group \(group)"
        case .dnp3Write(let group, let range): "dnp3.write g\(group) \(AddressRanges.text(range))"
        case .s7Function(let name): "s7comm.function \(name)"
        case .s7Write(let area, let range): "s7comm.write \(area) \(AddressRanges.text(range))"
        case .s7PIService(let name): "s7comm.pi_service \(name)"
        case .mqttClientID(let id): "mqtt.client_id \(id)"
        case .mqttPublish(let topic): "mqtt.publish \(topic)"
        case .mqttSubscribe(let filter): "mqtt.subscribe \(filter)"
        case .httpMethod(let method): "http.method \(method)"
        case .httpHost(let host): "http.host \(host)"
        }
    }

    /// What a person reads in the alert's signature.
    public var humanText: String {
        switch self {
        case .modbusUnit(let unit): "Modbus unit id \(unit)"
        case .modbusFunction(let code): "Modbus function \(code) (\(ModbusFunction(rawValue: code).name))"
        case .modbusRead(let table, let range): "Modbus read of \(table.rawValue) \(AddressRanges.text(range))"
        case .modbusWrite(let table, let range): "Modbus write to \(table.rawValue) \(AddressRanges.text(range))"
        case .dnp3Link(let link): "DNP3 link addresses \(link)"
        case .dnp3Function(let code): "DNP3 function \(DNP3Function(rawValue: code).name)"
        case .dnp3Group(let group): "DNP3 object group \(group)"
        case .dnp3Write(let group, let range): "DNP3 write/operate of group \(group) points \(AddressRanges.text(range))"
        case .s7Function(let name): "S7 function \(name)"
        case .s7Write(let area, let range): "S7 write to \(area) bytes \(AddressRanges.text(range))"
        case .s7PIService(let name): "S7 PI service \(name)"
        case .mqttClientID(let id): "MQTT client id '\(id)'"
        case .mqttPublish(let topic): "MQTT publish to '\(topic)'"
        case .mqttSubscribe(let filter): "MQTT subscribe to '\(filter)'"
        case .httpMethod(let method): "HTTP method \(method)"
        case .httpHost(let host): "HTTP host '\(host)'"
        }
    }

    /// Parses `keyText` back (for `baseline approve`).
    public static func parse(_ text: Substring) -> ObservedOperation? {
        guard let space = text.firstIndex(of: " ") else { return nil }
        let field = text[..<space]
        let value = text[text.index(after: space)...]
        func tableAndRange() -> (Substring, ClosedRange<UInt32>)? {
            let parts = value.split(separator: " ")
            guard parts.count == 2, let range = AddressRanges.parseRange(parts[1]) else { return nil }
            return (parts[0], range)
        }
        switch field {
        case "modbus.unit": return UInt8(value).map { .modbusUnit($0) }
        case "modbus.function": return UInt8(value).map { .modbusFunction($0) }
        case "modbus.read", "modbus.write":
            guard let (name, range) = tableAndRange(), let table = ModbusTable(rawValue: String(name)) else { return nil }
            return field == "modbus.read" ? .modbusRead(table, range) : .modbusWrite(table, range)
        case "dnp3.link": return DNP3LinkPair(value).map { .dnp3Link($0) }
        case "dnp3.function": return DNP3Names.function(named: value).map { .dnp3Function($0) }
        case "dnp3.group": return UInt8(value).map { .dnp3Group($0) }
        case "dnp3.write":
            guard let (name, range) = tableAndRange(), name.hasPrefix("g"), let group = UInt8(name.dropFirst()) else { return nil }
            return .dnp3Write(group, range)
        case "s7comm.function": return .s7Function(String(value))
        case "s7comm.write":
            guard let (area, range) = tableAndRange() else { return nil }
            return .s7Write(String(area), range)
        case "s7comm.pi_service": return .s7PIService(String(value))
        case "mqtt.client_id": return .mqttClientID(String(value))
        case "mqtt.publish": return .mqttPublish(String(value))
        case "mqtt.subscribe": return .mqttSubscribe(String(value))
        case "http.method": return .httpMethod(String(value))
        case "http.host": return .httpHost(String(value))
        default: return nil
        }
    }
}

/// A DNP3 master's and outstation's link addresses, written `1>10`.
public struct DNP3LinkPair: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var master: UInt16
    public var outstation: UInt16
    public init(master: UInt16, outstation: UInt16) {
        self.master = master
        self.outstation = outstation
    }

    public init?(_ text: Substring) {
        let parts = text.split(separator: ">")
        guard parts.count == 2, let master = UInt16(parts[0]), let outstation = UInt16(parts[1]) else { return nil }
        self.init(master: master, outstation: outstation)
    }

    public var description: String { "\(master)>\(outstation)" }
    public static func < (a: DNP3LinkPair, b: DNP3LinkPair) -> Bool { (a.master, a.outstation) < (b.master, b.outstation) }
}

enum DNP3Names {
    /// Function code from its name (`COLD_RESTART`) or number.
    static func function(named text: Substring) -> UInt8? {
        if let number = UInt8(text) { return number }
        for code in 0...255 where DNP3Function(rawValue: UInt8(code)).name == text { return UInt8(code) }
        return nil
    }
}

/// Reads the operations out of protocol events (client requests only: responses add nothing a
/// client chose to do).
public enum ObservedOperations {
    /// DNP3 functions that change points: their object ranges are writes.
    static func dnp3Writes(_ function: UInt8) -> Bool { (2...6).contains(function) }

    public static func visit(_ body: EventBody, direction: StreamDirection?, _ visitor: (ObservedOperation) -> Void) {
        switch body {
        case .modbus(let transaction):
            guard let request = transaction.request else { return }
            visitor(.modbusUnit(request.unitId))
            visitor(.modbusFunction(request.functionRaw))
            guard let table = ModbusTable.of(function: request.functionRaw) else { return }
            let function = request.functionRaw
            if request.hasWriteRange {  // FC 23: a read and a write
                visitor(.modbusWrite(table, range(request.writeAddress, request.writeQuantity)))
            }
            guard request.hasAddress else { return }
            let span = range(request.address, request.hasQuantity ? request.quantity : 1)
            if request.function.isWrite && function != 23 { visitor(.modbusWrite(table, span)) } else { visitor(.modbusRead(table, span)) }
        case .dnp3(let event):
            guard event.kind == .request else { return }
            let fragment = event.fragment
            visitor(.dnp3Link(DNP3LinkPair(master: event.link.source, outstation: event.link.destination)))
            visitor(.dnp3Function(fragment.function.rawValue))
            for index in 0..<fragment.keptObjectCount {
                let header = fragment.objects[index]
                visitor(.dnp3Group(header.group))
            }
            guard dnp3Writes(fragment.function.rawValue) else { return }
            if fragment.keptPointCount > 0 {
                for index in 0..<fragment.keptPointCount {
                    let point = fragment.points[index]
                    visitor(.dnp3Write(point.group, point.index...point.index))
                }
            } else {
                for index in 0..<fragment.keptObjectCount {
                    let header = fragment.objects[index]
                    if header.hasStartStop && header.start <= header.stop { visitor(.dnp3Write(header.group, header.start...header.stop)) }
                }
            }
        case .s7comm(let event):
            guard case .s7comm(let pdu) = event.payload else { return }
            if pdu.rosctr == 1 && pdu.hasFunction {
                visitor(.s7Function(S7Comm.functionName(pdu.function)))
                if pdu.function == 0x05 {
                    for index in 0..<pdu.keptItemCount {
                        let item = pdu.items[index]
                        guard item.hasAddress else { continue }
                        let area = item.area == 0x84 ? "DB\(item.dbNumber)" : S7Comm.areaName(item.area)
                        let length = max(UInt32(item.length) * S7Operations.unitBytes(transportSize: item.transportSize), 1)
                        visitor(.s7Write(area, item.byteAddress...(item.byteAddress &+ length &- 1)))
                    }
                }
                if pdu.function == 0x28 && !pdu.piService.isEmpty {
                    visitor(.s7PIService(String(decoding: pdu.piService.trimmedArray, as: UTF8.self)))
                }
            } else if pdu.rosctr == 7 && pdu.hasUserdata && pdu.userdataType == 4 {  // a userdata request
                visitor(.s7Function(S7Comm.subfunctionName(group: pdu.functionGroup, subfunction: pdu.subfunction)))
            }
        case .mqtt(let event):
            guard direction != .toClient else { return }
            switch event.message.type {
            case 1: if let id = event.clientID { visitor(.mqttClientID(String(decoding: id, as: UTF8.self))) }
            case 3: if let topic = event.topic { visitor(.mqttPublish(String(decoding: topic, as: UTF8.self))) }
            case 8: for entry in event.topics { visitor(.mqttSubscribe(String(decoding: entry.filter, as: UTF8.self))) }
            default: break
            }
        case .http(let event):
            guard let request = event.request else { return }
            visitor(.httpMethod(String(decoding: request.method, as: UTF8.self)))
            if let host = request.host { visitor(.httpHost(String(decoding: host, as: UTF8.self).lowercased())) }
        default:
            return
        }
    }

    static func range(_ start: UInt16, _ quantity: UInt16) -> ClosedRange<UInt32> {
        let low = UInt32(start)
        return low...(low + UInt32(max(quantity, 1)) - 1)
    }
}

extension S7Operations {
    /// Bytes per element of an S7 item's transport size (BIT counts as its byte).
    static func unitBytes(transportSize: UInt8) -> UInt32 {
        switch transportSize {
        case 4, 5: 2  // WORD, INT
        case 6, 7, 8: 4  // DWORD, DINT, REAL
        default: 1  // BIT, BYTE, CHAR
        }
    }
}
