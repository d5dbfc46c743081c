import SpanwatchWire
import SpanwatchFlow
import SpanwatchJSON
// S7comm (Siemens S7 protocol, id 0x32), carried in COTP DT over TPKT. No public standard:
// field layout after Wireshark's packet-s7comm.c and the snap7 sources, names after CISA's
// ICSNPP s7comm.log.
//
// Header (10 bytes; 12 for ROSCTR 2 ack and 3 ack-data, which add error class and code):
//  0      1        2-3          4-5             6-7            8-9          10      11
// +------+--------+------------+---------------+--------------+------------+-------+-------+
// | 0x32 | ROSCTR | redundancy | PDU reference | param length | data length| class | code  |
// +------+--------+------------+---------------+--------------+------------+-------+-------+
// then `param length` bytes of parameters and `data length` bytes of data.
//
// ROSCTR 1 job, 2 ack, 3 ack-data, 7 userdata. Job and ack-data parameters start with the
// function code (0xF0 setup communication, 0x04 read var, 0x05 write var, 0x1A-0x1C download,
// 0x1D-0x1F upload, 0x28 PI service, 0x29 PLC stop). Userdata parameters carry a function group
// and sub-function instead (CPU functions / read SZL, programmer commands, cyclic data, ...).

public enum S7Comm {
    public static let protocolID: UInt8 = 0x32
    public static let headerLength = 10
    public static let ackHeaderLength = 12
    /// Read/write items kept per PDU (the rest are counted).
    public static let itemCapacity = 8

    public static func rosctrName(_ code: UInt8) -> String {
        switch code {
        case 1: "JOB"
        case 2: "ACK"
        case 3: "ACK_DATA"
        case 7: "USERDATA"
        default: "UNKNOWN"
        }
    }

    public static func functionName(_ code: UInt8) -> String {
        switch code {
        case 0x00: "CPU_SERVICES"
        case 0xF0: "SETUP_COMMUNICATION"
        case 0x04: "READ_VAR"
        case 0x05: "WRITE_VAR"
        case 0x1A: "REQUEST_DOWNLOAD"
        case 0x1B: "DOWNLOAD_BLOCK"
        case 0x1C: "DOWNLOAD_ENDED"
        case 0x1D: "START_UPLOAD"
        case 0x1E: "UPLOAD"
        case 0x1F: "END_UPLOAD"
        case 0x28: "PI_SERVICE"
        case 0x29: "PLC_STOP"
        default: "UNKNOWN"
        }
    }

    public static func areaName(_ code: UInt8) -> String {
        switch code {
        case 0x03: "SYSTEM_INFO"
        case 0x05: "SYSTEM_FLAGS"
        case 0x06: "ANALOG_INPUTS"
        case 0x07: "ANALOG_OUTPUTS"
        case 0x1C: "COUNTER_S7"
        case 0x1D: "TIMER_S7"
        case 0x1E: "COUNTER_IEC"
        case 0x1F: "TIMER_IEC"
        case 0x80: "DIRECT_PERIPHERAL"
        case 0x81: "INPUTS"
        case 0x82: "OUTPUTS"
        case 0x83: "FLAGS"
        case 0x84: "DATA_BLOCK"
        case 0x85: "INSTANCE_DATA_BLOCK"
        case 0x86: "LOCAL_DATA"
        case 0x87: "PREVIOUS_LOCAL_DATA"
        default: "UNKNOWN"
        }
    }

    public static func functionGroupName(_ group: UInt8) -> String {
        switch group {
        case 0x0: "MODE_TRANSITION"
        case 0x1: "PROGRAMMER_COMMANDS"
        case 0x2: "CYCLIC_DATA"
        case 0x3: "BLOCK_FUNCTIONS"
        case 0x4: "CPU_FUNCTIONS"
        case 0x5: "SECURITY"
        case 0x6: "PBC_BSEND_BRECV"
        case 0x7: "TIME_FUNCTIONS"
        case 0xF: "NC_PROGRAMMING"
        default: "UNKNOWN"
        }
    }

    public static func subfunctionName(group: UInt8, subfunction: UInt8) -> String {
        switch (group, subfunction) {
        case (0x1, 0x01): "REQUEST_DIAG_DATA_TYPE1"
        case (0x1, 0x02): "VARTAB"
        case (0x1, 0x0C): "ERASE"
        case (0x1, 0x0E): "READ_DIAG_DATA"
        case (0x1, 0x0F): "REMOVE_DIAG_DATA"
        case (0x1, 0x10): "FORCES"
        case (0x1, 0x13): "REQUEST_DIAG_DATA_TYPE2"
        case (0x2, 0x01): "MEMORY"
        case (0x2, 0x04): "UNSUBSCRIBE"
        case (0x2, 0x05): "MEMORY2"
        case (0x2, 0x07): "RDREC"
        case (0x3, 0x01): "LIST_BLOCKS"
        case (0x3, 0x02): "LIST_BLOCKS_OF_TYPE"
        case (0x3, 0x03): "GET_BLOCK_INFO"
        case (0x4, 0x01): "READ_SZL"
        case (0x4, 0x02): "MESSAGE_SERVICE"
        case (0x4, 0x03): "DIAGNOSTIC_MESSAGE"
        case (0x4, 0x05): "ALARM8_INDICATION"
        case (0x4, 0x06): "NOTIFY_INDICATION"
        case (0x4, 0x07): "ALARM8_LOCK"
        case (0x4, 0x0B): "ALARM_ACK"
        case (0x4, 0x0C): "ALARM_ACK_INDICATION"
        case (0x4, 0x11): "ALARM_SQ_INDICATION"
        case (0x4, 0x12): "ALARM_S_INDICATION"
        case (0x4, 0x13): "ALARM_QUERY"
        case (0x4, 0x16): "NOTIFY8_INDICATION"
        case (0x5, 0x01): "PLC_PASSWORD"
        case (0x5, 0x02): "CLEAN_SESSION"
        case (0x7, 0x01): "READ_CLOCK"
        case (0x7, 0x02): "SET_CLOCK"
        case (0x7, 0x03): "READ_CLOCK_FOLLOWING"
        case (0x7, 0x04): "SET_CLOCK_2"
        default: "UNKNOWN"
        }
    }

    /// Userdata group 0 (mode transition) carries the CPU's new mode where others put a sub-function.
    public static func modeName(_ mode: UInt8) -> String {
        switch mode {
        case 0: "STOP"
        case 1: "WARM_RESTART"
        case 2: "RUN"
        case 3: "HOT_RESTART"
        case 4: "HOLD"
        case 6: "COLD_RESTART"
        case 9: "RUN_R"
        case 11: "LINK_UP"
        case 12: "UPDATE"
        default: "UNKNOWN"
        }
    }

    public static func blockTypeName(_ code: (UInt8, UInt8)) -> String {
        switch code {
        case (0x30, 0x38): "OB"
        case (0x30, 0x41): "DB"
        case (0x30, 0x42): "SDB"
        case (0x30, 0x43): "FC"
        case (0x30, 0x44): "SFC"
        case (0x30, 0x45): "FB"
        case (0x30, 0x46): "SFB"
        default: "UNKNOWN"
        }
    }

    /// Detection at the start of a COTP DT payload.
    public static func looksLikeS7(_ payload: RawSpan) -> Bool {
        guard payload.byteCount >= headerLength, payload.u8(0) == protocolID else { return false }
        switch payload.u8(1) {
        case 1, 2, 3, 7: return true
        default: return false
        }
    }

    /// Parses one S7comm PDU (a COTP DT payload reassembled up to its EOT).
    public static func parse(_ pdu: RawSpan) -> S7PDU {
        var result = S7PDU()
        result.length = pdu.byteCount
        guard pdu.byteCount >= headerLength, pdu.u8(0) == protocolID else {
            result.anomalies.insert(.truncatedHeader)
            return result
        }
        result.rosctr = pdu.u8(1)
        result.pduReference = pdu.u16be(4)
        let parameterLength = Int(pdu.u16be(6))
        let dataLength = Int(pdu.u16be(8))
        var offset = headerLength
        if result.rosctr == 2 || result.rosctr == 3 {
            guard pdu.byteCount >= ackHeaderLength else {
                result.anomalies.insert(.truncatedHeader)
                return result
            }
            result.hasError = true
            result.errorClass = pdu.u8(10)
            result.errorCode = pdu.u8(11)
            offset = ackHeaderLength
        }
        guard offset + parameterLength + dataLength <= pdu.byteCount else {
            result.anomalies.insert(.lengthMismatch)
            return result
        }
        let parameters = pdu.extracting(offset..<(offset + parameterLength))
        let data = pdu.extracting((offset + parameterLength)..<(offset + parameterLength + dataLength))
        switch result.rosctr {
        case 1, 3:
            guard parameters.byteCount >= 1 else { return result }
            result.hasFunction = true
            result.function = parameters.u8(0)
            parseFunction(parameters, data: data, into: &result)
        case 7:
            parseUserdata(parameters, data: data, into: &result)
        default:
            break
        }
        return result
    }

    static func parseFunction(_ parameters: RawSpan, data: RawSpan, into result: inout S7PDU) {
        let isJob = result.rosctr == 1
        switch result.function {
        case 0xF0:
            guard parameters.byteCount >= 8 else { result.anomalies.insert(.truncatedParameters); return }
            result.maxAmqCalling = parameters.u16be(2)
            result.maxAmqCalled = parameters.u16be(4)
            result.pduSize = parameters.u16be(6)
        case 0x04, 0x05:
            guard parameters.byteCount >= 2 else { result.anomalies.insert(.truncatedParameters); return }
            result.itemCount = parameters.u8(1)
            if isJob { parseItemAddresses(parameters, into: &result) }
            parseItemData(data, write: result.function == 0x05, isJob: isJob, into: &result)
        case 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F:
            guard isJob || result.function == 0x1D else { return }
            guard parameters.byteCount >= 8 else { result.anomalies.insert(.truncatedParameters); return }
            result.functionStatus = parameters.u8(1)
            result.sessionID = parameters.u32be(4)
            result.hasBlock = true
            if isJob && result.function <= 0x1D, parameters.byteCount >= 9 {
                let nameLength = Int(parameters.u8(8))
                guard parameters.byteCount >= 9 + nameLength else { result.anomalies.insert(.truncatedParameters); return }
                result.fileName = InlineText(parameters.extracting(9..<(9 + nameLength)))
            }
        case 0x28:
            // func, 7 unknown bytes, parameter block length (2), parameter block, name length, name
            guard parameters.byteCount >= 10 else { result.anomalies.insert(.truncatedParameters); return }
            let blockLength = Int(parameters.u16be(8))
            let nameAt = 10 + blockLength
            guard parameters.byteCount >= nameAt + 1 else { result.anomalies.insert(.truncatedParameters); return }
            result.piParameters = InlineText(parameters.extracting(10..<nameAt))
            let nameLength = Int(parameters.u8(nameAt))
            guard parameters.byteCount >= nameAt + 1 + nameLength else { result.anomalies.insert(.truncatedParameters); return }
            result.piService = InlineText(parameters.extracting((nameAt + 1)..<(nameAt + 1 + nameLength)))
        case 0x29:
            // func, 5 unknown bytes, name length, name (P_PROGRAM)
            guard isJob else { return }
            guard parameters.byteCount >= 7 else { result.anomalies.insert(.truncatedParameters); return }
            let nameLength = Int(parameters.u8(6))
            guard parameters.byteCount >= 7 + nameLength else { result.anomalies.insert(.truncatedParameters); return }
            result.piService = InlineText(parameters.extracting(7..<(7 + nameLength)))
        default:
            break
        }
    }

    /// Job read/write items: variable specifications (0x12), S7ANY addressing kept.
    static func parseItemAddresses(_ parameters: RawSpan, into result: inout S7PDU) {
        var offset = 2
        for index in 0..<Int(result.itemCount) {
            guard parameters.byteCount - offset >= 2 else { result.anomalies.insert(.truncatedParameters); return }
            let specLength = Int(parameters.u8(offset + 1))
            guard parameters.byteCount - offset >= 2 + specLength else { result.anomalies.insert(.truncatedParameters); return }
            var item = S7Item()
            if specLength >= 1 { item.syntaxID = parameters.u8(offset + 2) }
            if item.syntaxID == 0x10 && specLength >= 10 {
                let spec = parameters.extracting((offset + 2)..<(offset + 2 + specLength))
                item.transportSize = spec.u8(1)
                item.length = spec.u16be(2)
                item.dbNumber = spec.u16be(4)
                item.area = spec.u8(6)
                let address = UInt32(spec.u8(7)) << 16 | UInt32(spec.u16be(8))
                item.byteAddress = address >> 3
                item.bitAddress = UInt8(address & 0x7)
                item.hasAddress = true
            }
            if index < S7Comm.itemCapacity { result.items[index] = item }
            offset += 2 + specLength
        }
    }

    /// Read ack-data and write job data (return code, transport size, length, value, fill
    /// byte), or the write ack-data's return codes.
    static func parseItemData(_ data: RawSpan, write: Bool, isJob: Bool, into result: inout S7PDU) {
        var offset = 0
        let count = Int(result.itemCount)
        for index in 0..<count {
            if write && !isJob {
                guard offset < data.byteCount else { result.anomalies.insert(.truncatedData); return }
                if index < S7Comm.itemCapacity { result.items[index].returnCode = data.u8(offset); result.items[index].hasReturnCode = true }
                offset += 1
                continue
            }
            if !write && isJob { return }  // read jobs have no data part
            guard data.byteCount - offset >= 4 else { result.anomalies.insert(.truncatedData); return }
            let returnCode = data.u8(offset)
            let transportSize = data.u8(offset + 1)
            var length = Int(data.u16be(offset + 2))
            // Sizes 3 (bit), 4 (byte/word/dword) and 5 (integer) count bits; the others bytes.
            if transportSize == 3 || transportSize == 4 || transportSize == 5 { length = (length + 7) / 8 }
            if index < S7Comm.itemCapacity && !isJob {
                result.items[index].returnCode = returnCode
                result.items[index].hasReturnCode = true
            }
            if write && isJob && index == 0 {
                let start = offset + 4
                result.writtenData = InlineText(data.extracting(start..<min(start + length, data.byteCount)))
                result.writtenDataLength = length
            }
            offset += 4 + length
            if length % 2 == 1 && index < count - 1 { offset += 1 }
            guard offset <= data.byteCount else { result.anomalies.insert(.truncatedData); return }
        }
    }

    static func parseUserdata(_ parameters: RawSpan, data: RawSpan, into result: inout S7PDU) {
        guard parameters.byteCount >= 8 else { result.anomalies.insert(.truncatedParameters); return }
        result.hasUserdata = true
        let typeAndGroup = parameters.u8(5)
        result.userdataType = typeAndGroup >> 4
        result.functionGroup = typeAndGroup & 0x0F
        result.subfunction = parameters.u8(6)
        result.sequenceNumber = parameters.u8(7)
        if parameters.u8(3) >= 8 && parameters.byteCount >= 12 {
            result.lastDataUnit = parameters.u8(9) == 0
            result.userdataErrorCode = parameters.u16be(10)
        }
        guard data.byteCount >= 4 else { return }
        result.userdataReturnCode = data.u8(0)
        let length = Int(data.u16be(2))
        guard data.byteCount >= 4 + length else { result.anomalies.insert(.truncatedData); return }
        let body = data.extracting(4..<(4 + length))
        // CPU functions / read SZL: the request names the list; the response carries it.
        if result.functionGroup == 0x4 && result.subfunction == 0x01 && body.byteCount >= 4 {
            result.hasSZL = true
            result.szlID = body.u16be(0)
            result.szlIndex = body.u16be(2)
            if result.userdataType == 0x8 && body.byteCount >= 8 { parseSZL(body, into: &result) }
        }
    }

    /// SZL 0x0011/0x0111 (module identification) and 0x001C/0x011C (component identification).
    static func parseSZL(_ body: RawSpan, into result: inout S7PDU) {
        let entryLength = Int(body.u16be(4))
        let entries = Int(body.u16be(6))
        guard entryLength > 2 else { return }
        var offset = 8
        for _ in 0..<entries {
            guard body.byteCount - offset >= entryLength else { return }
            let entry = body.extracting(offset..<(offset + entryLength))
            let index = entry.u16be(0)
            switch result.szlID & 0x00FF {
            case 0x11 where entryLength >= 28:
                if index == 0x0001 { result.identity.orderNumber = InlineText(entry.extracting(2..<22)) }
                // Basic firmware: Ausbg is 'V' and the major version, Ausbe minor and patch (V3.2.6).
                if index == 0x0007 && entry.u8(24) == UInt8(ascii: "V") {
                    result.identity.firmware = (entry.u8(25), entry.u8(26), entry.u8(27))
                    result.identity.hasFirmware = true
                }
                result.hasIdentity = true
            case 0x1C where entryLength >= 34:
                let text = InlineText(entry.extracting(2..<min(entryLength, 2 + InlineText.capacity)))
                switch index {
                case 1: result.identity.systemName = text
                case 2: result.identity.moduleName = text
                case 3: result.identity.plantName = text
                case 5: result.identity.serialNumber = text
                case 7: result.identity.moduleTypeName = text
                default: break
                }
                result.hasIdentity = true
            default:
                return
            }
            offset += entryLength
        }
    }
}

/// One read/write item: where (S7ANY address) and, in responses, its return code.
public struct S7Item: Sendable {
    public var syntaxID: UInt8 = 0
    public var transportSize: UInt8 = 0
    public var length: UInt16 = 0
    public var dbNumber: UInt16 = 0
    public var area: UInt8 = 0
    public var byteAddress: UInt32 = 0
    public var bitAddress: UInt8 = 0
    public var hasAddress = false
    public var returnCode: UInt8 = 0
    public var hasReturnCode = false
    public init() {}
}

/// What SZL responses reveal about a PLC: the asset identity a baseline keeps.
public struct S7Identity: Sendable {
    public var orderNumber = InlineText()
    public var firmware: (UInt8, UInt8, UInt8) = (0, 0, 0)
    public var hasFirmware = false
    public var systemName = InlineText()
    public var moduleName = InlineText()
    public var plantName = InlineText()
    public var serialNumber = InlineText()
    public var moduleTypeName = InlineText()
    public init() {}
}

public struct S7Anomalies: OptionSet, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let truncatedHeader = S7Anomalies(rawValue: 1 << 0)
    public static let lengthMismatch = S7Anomalies(rawValue: 1 << 1)
    public static let truncatedParameters = S7Anomalies(rawValue: 1 << 2)
    public static let truncatedData = S7Anomalies(rawValue: 1 << 3)

    public var eventNames: [String] {
        var names: [String] = []
        if contains(.truncatedHeader) { names.append("s7comm.truncated_header") }
        if contains(.lengthMismatch) { names.append("s7comm.length_mismatch") }
        if contains(.truncatedParameters) { names.append("s7comm.truncated_parameters") }
        if contains(.truncatedData) { names.append("s7comm.truncated_data") }
        return names
    }
}

/// One parsed S7comm PDU (fixed-size: nothing here allocates).
public struct S7PDU: Sendable {
    public var rosctr: UInt8 = 0
    public var pduReference: UInt16 = 0
    public var hasError = false
    public var errorClass: UInt8 = 0
    public var errorCode: UInt8 = 0
    public var hasFunction = false
    public var function: UInt8 = 0
    public var itemCount: UInt8 = 0
    public var items = InlineArray<8, S7Item>(repeating: S7Item())
    public var maxAmqCalling: UInt16 = 0
    public var maxAmqCalled: UInt16 = 0
    public var pduSize: UInt16 = 0
    public var hasBlock = false
    public var functionStatus: UInt8 = 0
    public var sessionID: UInt32 = 0
    public var fileName = InlineText()
    public var piService = InlineText()
    public var piParameters = InlineText()
    public var hasUserdata = false
    public var userdataType: UInt8 = 0
    public var functionGroup: UInt8 = 0
    public var subfunction: UInt8 = 0
    public var sequenceNumber: UInt8 = 0
    public var lastDataUnit = true
    public var userdataErrorCode: UInt16 = 0
    public var userdataReturnCode: UInt8 = 0
    /// A Write Var job: the first item's data (its first 32 bytes) and its length in bytes.
    public var writtenData = InlineText()
    public var writtenDataLength = 0
    public var hasSZL = false
    public var szlID: UInt16 = 0
    public var szlIndex: UInt16 = 0
    public var hasIdentity = false
    public var identity = S7Identity()
    public var anomalies = S7Anomalies()
    public var length = 0
    public init() {}

    public var keptItemCount: Int { min(Int(itemCount), S7Comm.itemCapacity) }

    /// Block type, number and file system from a download/upload file name such as `_0A00001P`.
    public var block: (type: String, number: Int, fileSystem: UInt8)? {
        guard fileName.count >= 9, fileName.bytes[0] == UInt8(ascii: "_") else { return nil }
        var number = 0
        for index in 3..<8 {
            let digit = fileName.bytes[index]
            guard digit >= 0x30 && digit <= 0x39 else { return nil }
            number = number * 10 + Int(digit - 0x30)
        }
        return (S7Comm.blockTypeName((fileName.bytes[1], fileName.bytes[2])), number, fileName.bytes[8])
    }
}
