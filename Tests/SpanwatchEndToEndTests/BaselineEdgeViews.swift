import SpanwatchFlow
import SpanwatchPolicy
import SpanwatchProtocols

/// Typed views of an edge's generic operations, so that tests read as the baseline file does.
extension BaselineEdge {
    struct ModbusView {
        let edge: BaselineEdge
        var functions: Set<UInt8> { Set(edge.values(ModbusProtocol.function).compactMap { $0.number.map { UInt8($0) } }) }
        var units: Set<UInt8> { Set(edge.values(ModbusProtocol.unit).compactMap { $0.number.map { UInt8($0) } }) }
        var writes: [ModbusTable: AddressRanges] {
            var out: [ModbusTable: AddressRanges] = [:]
            for (table, ranges) in edge.fields[ModbusProtocol.write]?.tables ?? [:] { if let key = ModbusTable(rawValue: table) { out[key] = ranges } }
            return out
        }
    }

    struct DNP3View {
        let edge: BaselineEdge
        var functions: Set<UInt8> { Set(edge.values(DNP3Protocol.function).compactMap { $0.number.map { UInt8($0) } }) }
    }

    struct S7View {
        let edge: BaselineEdge
        var functions: Set<String> { Set(edge.values(S7commProtocol.function).compactMap(\.text)) }
    }

    var modbus: ModbusView { ModbusView(edge: self) }
    var dnp3: DNP3View { DNP3View(edge: self) }
    var s7comm: S7View { S7View(edge: self) }
}
