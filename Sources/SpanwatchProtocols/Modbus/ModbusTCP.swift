import SpanwatchWire
import SpanwatchFlow
import SpanwatchJSON
// Modbus/TCP: MODBUS Messaging on TCP/IP Implementation Guide V1.0b (MBAP, §3.1.3) and
// MODBUS Application Protocol Specification V1.1b3 (PDUs, §6; exceptions, §7).
//
// ADU = MBAP header (7 bytes) + PDU (function code + data), at most 260 bytes.
//
//  0               2               4               6       7       8
// +---------------+---------------+---------------+-------+-------+--------
// | transaction id| protocol id=0 | length        | unit  | func  | data ...
// +---------------+---------------+---------------+-------+-------+--------
//                                  `- bytes that follow: unit id + PDU (2 ... 254)
//
// An exception response sets bit 0x80 of the function code and carries one byte: the
// exception code.

public enum ModbusTCP: StreamFramer {
    public static let transactionIdOffset = 0
    public static let protocolIdOffset = 2
    public static let lengthOffset = 4
    public static let unitIdOffset = 6
    public static let functionOffset = 7
    public static let dataOffset = functionOffset + 1
    /// Bytes before the length field's count starts.
    public static let lengthPrefix = unitIdOffset
    public static let mbapLength = functionOffset
    /// The length field counts the unit id and the PDU: 1 + at least the function code.
    public static let minimumLengthField = 2
    /// 253-byte PDU + unit id.
    public static let maximumLengthField = 254
    /// Schneider UMAS traffic from real Modicon PLCs carries length 255: framed (tshark reads it
    /// too) but flagged `modbus.invalid_length`. Anything longer is not Modbus.
    public static let toleratedLengthField = 255
    public static let maximumFrameLength = lengthPrefix + toleratedLengthField
    public static let exceptionBit: UInt8 = 0x80

    /// Frames one ADU from the MBAP header; only the header is validated here.
    public static func probeFrame(_ bytes: RawSpan) -> FrameProbe {
        guard bytes.byteCount >= lengthPrefix else { return .needMore(totalLength: lengthPrefix) }
        if bytes.u16be(protocolIdOffset) != 0 { return .invalid(anomaly: "modbus.invalid_protocol_id") }
        let length = Int(bytes.u16be(lengthOffset))
        guard length >= minimumLengthField, length <= toleratedLengthField else {
            return .invalid(anomaly: "modbus.invalid_length")
        }
        let total = lengthPrefix + length
        return bytes.byteCount >= total ? .complete(length: total) : .needMore(totalLength: total)
    }

    /// A cheap test for protocol detection: does this look like the start of a Modbus/TCP stream?
    /// Short input is `needMore` until the MBAP header and function code are there, unless the
    /// bytes already present rule Modbus out.
    public static func probe(_ bytes: RawSpan) -> ProbeVerdict {
        if bytes.byteCount >= protocolIdOffset + 2 && bytes.u16be(protocolIdOffset) != 0 { return .no }
        if bytes.byteCount >= lengthOffset + 2 {
            let length = Int(bytes.u16be(lengthOffset))
            guard length >= minimumLengthField, length <= toleratedLengthField else { return .no }
        }
        guard bytes.byteCount >= mbapLength + 1 else { return .needMore }
        let length = Int(bytes.u16be(lengthOffset))
        // A first segment should hold whole ADUs, so a length far beyond it is not Modbus.
        return lengthPrefix + length <= bytes.byteCount || bytes.byteCount < 64 ? .match : .no
    }

    public enum Direction: Sendable { case request, response }

    /// Parses one complete ADU (as framed by `probeFrame`).
    public static func parse(_ adu: RawSpan, direction: Direction) -> ModbusPDU {
        var pdu = ModbusPDU()
        pdu.transactionId = adu.u16be(transactionIdOffset)
        pdu.protocolId = adu.u16be(protocolIdOffset)
        pdu.lengthField = adu.u16be(lengthOffset)
        pdu.unitId = adu.u8(unitIdOffset)
        pdu.function = ModbusFunction(rawValue: adu.u8(functionOffset) & ~exceptionBit)
        pdu.functionRaw = adu.u8(functionOffset)
        if Int(pdu.lengthField) > maximumLengthField { pdu.anomalies.insert(.invalidLength) }
        let data = adu.extracting(dataOffset..<adu.byteCount)
        if pdu.functionRaw & exceptionBit != 0 {
            pdu.isException = true
            if direction == .request { pdu.anomalies.insert(.invalidFunctionCode) }
            guard data.byteCount == 1 else {
                pdu.anomalies.insert(.invalidLength)
                if data.byteCount >= 1 { pdu.exceptionCode = data.u8(0) }
                return pdu
            }
            pdu.exceptionCode = data.u8(0)
            if !(1...11).contains(pdu.exceptionCode) || pdu.exceptionCode == 7 || pdu.exceptionCode == 9 {
                pdu.anomalies.insert(.invalidExceptionCode)
            }
            return pdu
        }
        if pdu.function.rawValue == 0 { pdu.anomalies.insert(.invalidFunctionCode) }
        if direction == .request {
            parseRequestData(data, into: &pdu)
        } else {
            parseResponseData(data, into: &pdu)
        }
        return pdu
    }

    // MARK: - Requests (Application Protocol §6)

    static func parseRequestData(_ data: RawSpan, into pdu: inout ModbusPDU) {
        let n = data.byteCount
        switch pdu.function {
        case .readCoils, .readDiscreteInputs, .readHoldingRegisters, .readInputRegisters:
            guard n == 4 else { pdu.anomalies.insert(.invalidLength); return }
            pdu.setRange(address: data.u16be(0), quantity: data.u16be(2))
            let limit: UInt16 = pdu.function.isBitAccess ? 2000 : 125
            if pdu.quantity == 0 || pdu.quantity > limit { pdu.anomalies.insert(.invalidValue) }
        case .writeSingleCoil:
            guard n == 4 else { pdu.anomalies.insert(.invalidLength); return }
            pdu.setRange(address: data.u16be(0), quantity: 1)
            let value = data.u16be(2)
            pdu.appendValue(value)
            if value != 0xFF00 && value != 0x0000 { pdu.anomalies.insert(.invalidValue) }
        case .writeSingleRegister:
            guard n == 4 else { pdu.anomalies.insert(.invalidLength); return }
            pdu.setRange(address: data.u16be(0), quantity: 1)
            pdu.appendValue(data.u16be(2))
        case .writeMultipleCoils, .writeMultipleRegisters:
            guard n >= 5 else { pdu.anomalies.insert(.invalidLength); return }
            pdu.setRange(address: data.u16be(0), quantity: data.u16be(2))
            let byteCount = Int(data.u8(4))
            let expected = pdu.function == .writeMultipleCoils ? (Int(pdu.quantity) + 7) / 8 : Int(pdu.quantity) * 2
            if byteCount != expected || n != 5 + byteCount { pdu.anomalies.insert(.invalidLength) }
            let limit: UInt16 = pdu.function == .writeMultipleCoils ? 1968 : 123
            if pdu.quantity == 0 || pdu.quantity > limit { pdu.anomalies.insert(.invalidValue) }
            appendValues(data, from: 5, byteCount: min(byteCount, n - 5), bits: pdu.function == .writeMultipleCoils, into: &pdu)
        case .diagnostics:
            guard n >= 2 else { pdu.anomalies.insert(.invalidLength); return }
            pdu.subfunction = data.u16be(0)
            pdu.hasSubfunction = true
            if n >= 4 { pdu.appendValue(data.u16be(2)) }
        case .readExceptionStatus, .getCommEventCounter, .getCommEventLog, .reportServerId:
            if n != 0 { pdu.anomalies.insert(.invalidLength) }
        case .readFileRecord, .writeFileRecord:
            guard n >= 1 else { pdu.anomalies.insert(.invalidLength); return }
            let byteCount = Int(data.u8(0))
            if n != 1 + byteCount { pdu.anomalies.insert(.invalidLength) }
            parseFileSubRequests(data, from: 1, end: min(n, 1 + byteCount), withData: pdu.function == .writeFileRecord, into: &pdu)
        case .maskWriteRegister:
            guard n == 6 else { pdu.anomalies.insert(.invalidLength); return }
            pdu.setRange(address: data.u16be(0), quantity: 1)
            pdu.andMask = data.u16be(2)
            pdu.orMask = data.u16be(4)
            pdu.hasMasks = true
        case .readWriteMultipleRegisters:
            guard n >= 9 else { pdu.anomalies.insert(.invalidLength); return }
            pdu.setRange(address: data.u16be(0), quantity: data.u16be(2))
            pdu.writeAddress = data.u16be(4)
            pdu.writeQuantity = data.u16be(6)
            pdu.hasWriteRange = true
            let byteCount = Int(data.u8(8))
            if byteCount != Int(pdu.writeQuantity) * 2 || n != 9 + byteCount { pdu.anomalies.insert(.invalidLength) }
            if pdu.quantity == 0 || pdu.quantity > 125 || pdu.writeQuantity == 0 || pdu.writeQuantity > 121 {
                pdu.anomalies.insert(.invalidValue)
            }
            appendValues(data, from: 9, byteCount: min(byteCount, n - 9), bits: false, into: &pdu)
        case .readFIFOQueue:
            guard n == 2 else { pdu.anomalies.insert(.invalidLength); return }
            pdu.setRange(address: data.u16be(0), quantity: 0)
            pdu.hasQuantity = false
        case .encapsulatedInterfaceTransport:
            guard n >= 1 else { pdu.anomalies.insert(.invalidLength); return }
            pdu.meiType = data.u8(0)
            pdu.hasMEI = true
            if pdu.meiType == ModbusPDU.meiReadDeviceIdentification {
                guard n == 3 else { pdu.anomalies.insert(.invalidLength); return }
                pdu.readDeviceIdCode = data.u8(1)
                pdu.objectId = data.u8(2)
                if !(1...4).contains(pdu.readDeviceIdCode) { pdu.anomalies.insert(.invalidValue) }
            }
        default:
            break  // user-defined, reserved (UMAS 90) and unassigned codes: kept as numbers
        }
    }

    // MARK: - Responses

    static func parseResponseData(_ data: RawSpan, into pdu: inout ModbusPDU) {
        let n = data.byteCount
        switch pdu.function {
        case .readCoils, .readDiscreteInputs, .readHoldingRegisters, .readInputRegisters:
            guard n >= 1 else { pdu.anomalies.insert(.invalidLength); return }
            let byteCount = Int(data.u8(0))
            if n != 1 + byteCount || (!pdu.function.isBitAccess && byteCount % 2 != 0) { pdu.anomalies.insert(.invalidLength) }
            pdu.responseByteCount = UInt16(byteCount)
            appendValues(data, from: 1, byteCount: min(byteCount, n - 1), bits: pdu.function.isBitAccess, into: &pdu)
        case .writeSingleCoil, .writeSingleRegister:
            guard n == 4 else { pdu.anomalies.insert(.invalidLength); return }
            pdu.setRange(address: data.u16be(0), quantity: 1)
            pdu.appendValue(data.u16be(2))
        case .writeMultipleCoils, .writeMultipleRegisters:
            guard n == 4 else { pdu.anomalies.insert(.invalidLength); return }
            pdu.setRange(address: data.u16be(0), quantity: data.u16be(2))
        case .readExceptionStatus:
            guard n == 1 else { pdu.anomalies.insert(.invalidLength); return }
            pdu.appendValue(UInt16(data.u8(0)))
        case .diagnostics:
            guard n >= 2 else { pdu.anomalies.insert(.invalidLength); return }
            pdu.subfunction = data.u16be(0)
            pdu.hasSubfunction = true
            if n >= 4 { pdu.appendValue(data.u16be(2)) }
        case .getCommEventCounter:
            guard n == 4 else { pdu.anomalies.insert(.invalidLength); return }
            pdu.appendValue(data.u16be(0))
            pdu.appendValue(data.u16be(2))
        case .getCommEventLog, .reportServerId, .readFileRecord, .writeFileRecord:
            guard n >= 1 else { pdu.anomalies.insert(.invalidLength); return }
            let byteCount = Int(data.u8(0))
            if n != 1 + byteCount { pdu.anomalies.insert(.invalidLength) }
            pdu.responseByteCount = UInt16(byteCount)
        case .maskWriteRegister:
            guard n == 6 else { pdu.anomalies.insert(.invalidLength); return }
            pdu.setRange(address: data.u16be(0), quantity: 1)
            pdu.andMask = data.u16be(2)
            pdu.orMask = data.u16be(4)
            pdu.hasMasks = true
        case .readWriteMultipleRegisters:
            guard n >= 1 else { pdu.anomalies.insert(.invalidLength); return }
            let byteCount = Int(data.u8(0))
            if n != 1 + byteCount || byteCount % 2 != 0 { pdu.anomalies.insert(.invalidLength) }
            pdu.responseByteCount = UInt16(byteCount)
            appendValues(data, from: 1, byteCount: min(byteCount, n - 1), bits: false, into: &pdu)
        case .readFIFOQueue:
            guard n >= 4 else { pdu.anomalies.insert(.invalidLength); return }
            let byteCount = Int(data.u16be(0))
            let count = Int(data.u16be(2))
            if n != 2 + byteCount || byteCount != 2 + count * 2 || count > 31 { pdu.anomalies.insert(.invalidLength) }
            pdu.responseByteCount = UInt16(truncatingIfNeeded: byteCount)
            appendValues(data, from: 4, byteCount: min(count * 2, n - 4), bits: false, into: &pdu)
        case .encapsulatedInterfaceTransport:
            guard n >= 1 else { pdu.anomalies.insert(.invalidLength); return }
            pdu.meiType = data.u8(0)
            pdu.hasMEI = true
            if pdu.meiType == ModbusPDU.meiReadDeviceIdentification {
                guard n >= 6 else { pdu.anomalies.insert(.invalidLength); return }
                pdu.readDeviceIdCode = data.u8(1)
                pdu.conformityLevel = data.u8(2)
                pdu.moreFollows = data.u8(3)
                pdu.nextObjectId = data.u8(4)
                pdu.objectCount = data.u8(5)
                // Objects (id, length, value) are walked to validate their lengths; their
                // text is read only when an event is written (ModbusDeviceIdentification).
                var cursor = 6
                for _ in 0..<Int(pdu.objectCount) {
                    guard cursor + 2 <= n else { pdu.anomalies.insert(.invalidLength); return }
                    let length = Int(data.u8(cursor + 1))
                    guard cursor + 2 + length <= n else { pdu.anomalies.insert(.invalidLength); return }
                    cursor += 2 + length
                }
                if cursor != n { pdu.anomalies.insert(.invalidLength) }
            }
        default:
            break
        }
    }

    static func appendValues(_ data: RawSpan, from start: Int, byteCount: Int, bits: Bool, into pdu: inout ModbusPDU) {
        guard byteCount > 0 else { return }
        if bits {
            // Coils are packed LSB first; values keep the packed bytes, one per value.
            for i in 0..<byteCount { pdu.appendValue(UInt16(data.u8(start + i))) }
        } else {
            for i in 0..<(byteCount / 2) { pdu.appendValue(data.u16be(start + 2 * i)) }
        }
    }

    /// FC 20/21 sub-requests: reference type 6, file number, record number, record length (, data).
    static func parseFileSubRequests(_ data: RawSpan, from start: Int, end: Int, withData: Bool, into pdu: inout ModbusPDU) {
        var cursor = start
        while cursor < end {
            guard cursor + 7 <= end else { pdu.anomalies.insert(.invalidLength); return }
            if data.u8(cursor) != 6 { pdu.anomalies.insert(.invalidValue) }
            let file = data.u16be(cursor + 1)
            let record = data.u16be(cursor + 3)
            let length = data.u16be(cursor + 5)
            if pdu.fileSubRequestCount == 0 {
                pdu.setRange(address: record, quantity: length)
                pdu.fileNumber = file
            }
            pdu.fileSubRequestCount += 1
            cursor += 7 + (withData ? Int(length) * 2 : 0)
        }
        if cursor != end { pdu.anomalies.insert(.invalidLength) }
    }
}

/// Modbus function codes as an open enum: unknown codes survive as numbers.
public struct ModbusFunction: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let readCoils = ModbusFunction(rawValue: 1)
    public static let readDiscreteInputs = ModbusFunction(rawValue: 2)
    public static let readHoldingRegisters = ModbusFunction(rawValue: 3)
    public static let readInputRegisters = ModbusFunction(rawValue: 4)
    public static let writeSingleCoil = ModbusFunction(rawValue: 5)
    public static let writeSingleRegister = ModbusFunction(rawValue: 6)
    public static let readExceptionStatus = ModbusFunction(rawValue: 7)
    public static let diagnostics = ModbusFunction(rawValue: 8)
    public static let getCommEventCounter = ModbusFunction(rawValue: 11)
    public static let getCommEventLog = ModbusFunction(rawValue: 12)
    public static let writeMultipleCoils = ModbusFunction(rawValue: 15)
    public static let writeMultipleRegisters = ModbusFunction(rawValue: 16)
    public static let reportServerId = ModbusFunction(rawValue: 17)
    public static let readFileRecord = ModbusFunction(rawValue: 20)
    public static let writeFileRecord = ModbusFunction(rawValue: 21)
    public static let maskWriteRegister = ModbusFunction(rawValue: 22)
    public static let readWriteMultipleRegisters = ModbusFunction(rawValue: 23)
    public static let readFIFOQueue = ModbusFunction(rawValue: 24)
    public static let encapsulatedInterfaceTransport = ModbusFunction(rawValue: 43)
    /// Schneider Electric UMAS (vendor use of a reserved code): programming and run/stop.
    public static let umas = ModbusFunction(rawValue: 90)

    /// Suricata's EVE names, so existing SIEM content keeps working.
    public var name: String {
        switch rawValue {
        case 1: "RdCoils"
        case 2: "RdDiscreteInputs"
        case 3: "RdHoldRegs"
        case 4: "RdInputRegs"
        case 5: "WrSingleCoil"
        case 6: "WrSingleReg"
        case 7: "RdExcStatus"
        case 8: "Diagnostic"
        case 11: "GetCommEventCtr"
        case 12: "GetCommEventLog"
        case 15: "WrMultCoils"
        case 16: "WrMultRegs"
        case 17: "ReportServerID"
        case 20: "RdFileRec"
        case 21: "WrFileRec"
        case 22: "MaskWrReg"
        case 23: "RdWrMultRegs"
        case 24: "RdFIFOQueue"
        case 43: "EncapIntTransport"
        case 90: "UMAS"
        default: "unknown-\(rawValue)"
        }
    }

    /// Modbus Application Protocol §5: public assigned, user-defined (65-72, 100-110), reserved, unassigned.
    public var category: String {
        switch rawValue {
        case 1...8, 11, 12, 15...17, 20...24, 43: "PUBLIC_ASSIGNED"
        case 65...72, 100...110: "USER_DEFINED"
        case 9, 10, 13, 14, 41, 42, 90, 91, 125...127: "RESERVED"
        default: "PUBLIC_UNASSIGNED"
        }
    }

    public var isBitAccess: Bool { self == .readCoils || self == .readDiscreteInputs || self == .writeSingleCoil || self == .writeMultipleCoils }

    public var isWrite: Bool {
        switch self {
        case .writeSingleCoil, .writeSingleRegister, .writeMultipleCoils, .writeMultipleRegisters,
             .writeFileRecord, .maskWriteRegister, .readWriteMultipleRegisters: true
        default: false
        }
    }

    /// Suricata's access type: what the function reads or writes, and which table.
    public var accessType: String? {
        switch rawValue {
        case 1: "READ | COILS"
        case 2: "READ | DISCRETES"
        case 3: "READ | HOLDING"
        case 4: "READ | INPUT"
        case 5, 15: "WRITE | COILS"
        case 6, 16, 22: "WRITE | HOLDING"
        case 23: "READ | WRITE | HOLDING"
        case 24: "READ | HOLDING"
        case 20: "READ | FILE"
        case 21: "WRITE | FILE"
        default: nil
        }
    }
}

/// Anomalies found in one Modbus PDU (Suricata's modbus app-layer events).
public struct ModbusAnomalies: OptionSet, Sendable, Hashable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let invalidLength = ModbusAnomalies(rawValue: 1 << 0)
    public static let invalidFunctionCode = ModbusAnomalies(rawValue: 1 << 1)
    public static let invalidValue = ModbusAnomalies(rawValue: 1 << 2)
    public static let invalidExceptionCode = ModbusAnomalies(rawValue: 1 << 3)

    /// Stable anomaly event names, one per flag.
    public var eventNames: [String] {
        var names = [String]()
        if contains(.invalidLength) { names.append("modbus.invalid_length") }
        if contains(.invalidFunctionCode) { names.append("modbus.invalid_function_code") }
        if contains(.invalidValue) { names.append("modbus.invalid_value") }
        if contains(.invalidExceptionCode) { names.append("modbus.invalid_exception_code") }
        return names
    }
}

/// One parsed Modbus ADU: a plain value, no allocation. Values are kept up to
/// `ModbusPDU.valueCapacity`; `valueCount` says how many the PDU really carried.
public struct ModbusPDU: Sendable {
    public static let valueCapacity = 16
    public static let meiReadDeviceIdentification: UInt8 = 14

    public var transactionId: UInt16 = 0
    public var protocolId: UInt16 = 0
    public var lengthField: UInt16 = 0
    public var unitId: UInt8 = 0
    /// The function code byte as sent (exception bit included).
    public var functionRaw: UInt8 = 0
    /// The function with the exception bit cleared.
    public var function = ModbusFunction(rawValue: 0)
    public var isException = false
    public var exceptionCode: UInt8 = 0

    public var hasAddress = false
    public var hasQuantity = false
    public var address: UInt16 = 0
    public var quantity: UInt16 = 0
    public var hasWriteRange = false
    public var writeAddress: UInt16 = 0
    public var writeQuantity: UInt16 = 0
    public var hasMasks = false
    public var andMask: UInt16 = 0
    public var orMask: UInt16 = 0
    public var hasSubfunction = false
    public var subfunction: UInt16 = 0
    public var responseByteCount: UInt16 = 0
    public var fileNumber: UInt16 = 0
    public var fileSubRequestCount: UInt16 = 0

    public var hasMEI = false
    public var meiType: UInt8 = 0
    public var readDeviceIdCode: UInt8 = 0
    public var objectId: UInt8 = 0
    public var conformityLevel: UInt8 = 0
    public var moreFollows: UInt8 = 0
    public var nextObjectId: UInt8 = 0
    public var objectCount: UInt8 = 0

    public var values = InlineArray<16, UInt16>(repeating: 0)
    public var valueCount = 0

    public var anomalies = ModbusAnomalies()

    public init() {}

    mutating func setRange(address: UInt16, quantity: UInt16) {
        self.address = address
        self.quantity = quantity
        hasAddress = true
        hasQuantity = true
    }

    mutating func appendValue(_ value: UInt16) {
        if valueCount < ModbusPDU.valueCapacity { values[valueCount] = value }
        valueCount += 1
    }

    /// How many values are kept (at most `valueCapacity`); read them with `values[i]`.
    public var keptValueCount: Int { min(valueCount, ModbusPDU.valueCapacity) }

    /// The values kept, as an array (tests; the event writer reads `values` in place).
    public var keptValues: [UInt16] {
        (0..<min(valueCount, ModbusPDU.valueCapacity)).map { values[$0] }
    }
}

/// FC 43/14 device identification objects (id, text), read when an event is written.
public struct ModbusDeviceIdentification: Sendable, Equatable {
    public var objects: [(id: UInt8, value: [UInt8])]

    public static func == (a: Self, b: Self) -> Bool {
        a.objects.count == b.objects.count && zip(a.objects, b.objects).allSatisfy { $0.id == $1.id && $0.value == $1.value }
    }

    /// Reads the objects of a read-device-identification response ADU.
    public init?(responseADU adu: RawSpan) {
        let base = ModbusTCP.dataOffset
        guard adu.byteCount >= base + 6, adu.u8(ModbusTCP.functionOffset) == 43,
              adu.u8(base) == ModbusPDU.meiReadDeviceIdentification else { return nil }
        let count = Int(adu.u8(base + 5))
        var cursor = base + 6
        var objects = [(id: UInt8, value: [UInt8])]()
        for _ in 0..<count {
            guard cursor + 2 <= adu.byteCount else { break }
            let id = adu.u8(cursor)
            let length = Int(adu.u8(cursor + 1))
            guard cursor + 2 + length <= adu.byteCount else { break }
            objects.append((id, adu.extracting((cursor + 2)..<(cursor + 2 + length)).copyBytes()))
            cursor += 2 + length
        }
        self.objects = objects
    }

    /// Object names from Application Protocol §6.21, table "Read Device Identification".
    public static func objectName(_ id: UInt8) -> String {
        switch id {
        case 0: "vendor_name"
        case 1: "product_code"
        case 2: "major_minor_revision"
        case 3: "vendor_url"
        case 4: "product_name"
        case 5: "model_name"
        case 6: "user_application_name"
        default: "object_\(id)"
        }
    }
}
