import SpanwatchFlow
import SpanwatchPolicy
import SpanwatchProtocols

/// Typed views of an edge's generic operations, so that tests read as the baseline file does
/// (shared by the policy and end-to-end tests).
extension BaselineEdge {
    public struct ModbusView {
        let edge: BaselineEdge
        public var functions: Set<UInt8> { Set(edge.values(ModbusProtocol.function).compactMap { $0.number.map { UInt8($0) } }) }
        public var units: Set<UInt8> { Set(edge.values(ModbusProtocol.unit).compactMap { $0.number.map { UInt8($0) } }) }
        public var writes: [ModbusTable: AddressRanges] {
            var out: [ModbusTable: AddressRanges] = [:]
            for (table, ranges) in edge.fields[ModbusProtocol.write]?.tables ?? [:] { if let key = ModbusTable(rawValue: table) { out[key] = ranges } }
            return out
        }
    }

    public struct DNP3View {
        let edge: BaselineEdge
        public var functions: Set<UInt8> { Set(edge.values(DNP3Protocol.function).compactMap { $0.number.map { UInt8($0) } }) }
    }

    public struct S7View {
        let edge: BaselineEdge
        public var functions: Set<String> { Set(edge.values(S7commProtocol.function).compactMap(\.text)) }
    }

    public var modbus: ModbusView { ModbusView(edge: self) }
    public var dnp3: DNP3View { DNP3View(edge: self) }
    public var s7comm: S7View { S7View(edge: self) }
}
