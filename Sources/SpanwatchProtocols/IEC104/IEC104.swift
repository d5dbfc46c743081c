import SpanwatchFlow
import SpanwatchJSON
import SpanwatchWire
// IEC 60870-5-104 (TCP 2404): the APCI of IEC 60870-5-104 §5 around the ASDU of IEC 60870-5-101
// §7 (type identification, variable structure qualifier, cause of transmission, common address,
// information objects), with the 104 field sizes: 2-byte cause (with originator), 2-byte common
// address, 3-byte information object address.
//
// APDU = APCI (6 bytes) [+ ASDU], at most 255 bytes:
//
//  0      1        2         3         4         5         6
// +------+--------+---------+---------+---------+---------+-------------------------
// | 0x68 | length | control field (4 bytes)               | ASDU (I-format only) ...
// +------+--------+---------+---------+---------+---------+-------------------------
//          `- bytes that follow: 4 ... 253
//
// Control field: I-format (bit 0 of byte 2 is 0): send sequence N(S) in bytes 2-3 and receive
// sequence N(R) in bytes 4-5, each shifted left by one. S-format (bits 0-1 = 01): N(R) in
// bytes 4-5. U-format (bits 0-1 = 11): one of STARTDT, STOPDT, TESTFR act/con in bits 2-7.
//
// ASDU (from byte 6):
//
// +---------+-----+----------------+------------+------------------+--------------------
// | type id | VSQ | cause | origin | common addr| IOA (3 bytes)    | information element
// +---------+-----+----------------+------------+------------------+--------------------
//             `- SQ bit 0x80, number of objects 0x7F
//                      `- cause 6 bits, P/N 0x40, test 0x80
//
// With SQ = 1 one IOA is followed by `number` elements (consecutive addresses); with SQ = 0
// each element has its own IOA.

public enum IEC104: StreamFramer {
    public static let startByte: UInt8 = 0x68
    public static let lengthOffset = 1
    public static let controlOffset = 2
    public static let apciLength = 6
    /// The length field counts the control field and the ASDU.
    public static let minimumLengthField = 4
    public static let maximumLengthField = 253
    public static let maximumFrameLength = 2 + maximumLengthField
    // ASDU offsets from the start of the APDU.
    public static let typeOffset = 6
    public static let vsqOffset = 7
    public static let causeOffset = 8
    public static let originatorOffset = 9
    public static let commonAddressOffset = 10
    public static let objectsOffset = 12
    public static let ioaLength = 3
    /// Stray bytes tolerated before the first APDU of a flow on port 2404.
    public static let maximumLeadingBytes = 3

    public enum FrameFormat: String, Sendable { case i = "I", s = "S", u = "U" }

    /// Frames one APDU by its start byte and length. Bytes before a start byte are cut as a
    /// frame of their own (the session skips it, as tshark's "ERR prefix" does): Windows TCP
    /// keep-alives carry one byte of old data, which a flow picked up midstream takes for new.
    public static func probeFrame(_ bytes: RawSpan) -> FrameProbe {
        guard bytes.byteCount >= 1 else { return .needMore(totalLength: 1) }
        if bytes.u8(0) != startByte {
            var junk = 1
            while junk < bytes.byteCount && bytes.u8(junk) != startByte { junk += 1 }
            return .complete(length: junk)
        }
        guard bytes.byteCount >= 2 else { return .needMore(totalLength: 2) }
        let length = Int(bytes.u8(lengthOffset))
        guard length >= minimumLengthField else { return .invalid(anomaly: "iec104.invalid_length") }
        let total = 2 + length
        return bytes.byteCount >= total ? .complete(length: total) : .needMore(totalLength: total)
    }

    /// Detection: a first segment that starts with whole, well-formed APDUs. Off port 2404 a
    /// U-frame must carry exactly one known function and an I-frame a known type and cause.
    public static func probe(_ bytes: RawSpan, strict: Bool) -> ProbeVerdict {
        guard bytes.byteCount >= 1 else { return .needMore }
        if bytes.u8(0) != startByte {
            // On its port, a keep-alive's stray byte may come first (see `probeFrame`).
            guard !strict else { return .no }
            var start = 1
            while start < bytes.byteCount && start <= maximumLeadingBytes && bytes.u8(start) != startByte { start += 1 }
            guard start < bytes.byteCount else { return start <= maximumLeadingBytes ? .needMore : .no }
            guard start <= maximumLeadingBytes else { return .no }
            return probe(bytes.extracting(start..<bytes.byteCount), strict: false)
        }
        guard bytes.byteCount >= apciLength else { return .needMore }
        let length = Int(bytes.u8(lengthOffset))
        guard length >= minimumLengthField else { return .no }
        guard bytes.byteCount >= 2 + length else { return bytes.byteCount < 64 ? .needMore : .no }
        let apdu = bytes.extracting(0..<(2 + length))
        let control = apdu.u8(controlOffset)
        switch format(control) {
        case .u:
            // STARTDT/STOPDT/TESTFR act or con: one bit of 0x04...0x80, nothing else, no ASDU.
            let function = control >> 2
            return length == minimumLengthField && function != 0 && function & (function - 1) == 0 ? .match : .no
        case .s:
            return length == minimumLengthField && (!strict || control == 0x01) ? .match : .no
        case .i:
            guard length > minimumLengthField else { return .no }
            guard strict else { return .match }
            guard apdu.byteCount >= objectsOffset else { return .no }
            let type = apdu.u8(typeOffset)
            let cause = apdu.u8(causeOffset) & 0x3F
            return IEC104Names.typeName(type) != nil && (1...47).contains(cause) ? .match : .no
        }
    }

    static func format(_ control: UInt8) -> FrameFormat {
        if control & 0x01 == 0 { return .i }
        return control & 0x03 == 0x01 ? .s : .u
    }

    /// Parses one complete APDU (as framed by `probeFrame`).
    public static func parse(_ apdu: RawSpan) -> IEC104APDU {
        var result = IEC104APDU()
        guard apdu.byteCount >= apciLength else {
            result.anomalies.insert(.truncatedAPCI)
            return result
        }
        result.length = Int(apdu.u8(lengthOffset))
        let control = apdu.u8(controlOffset)
        result.format = format(control)
        switch result.format {
        case .i:
            result.sendSequence = apdu.u16le(controlOffset) >> 1
            result.receiveSequence = apdu.u16le(controlOffset + 2) >> 1
            parseASDU(apdu, into: &result)
        case .s:
            result.receiveSequence = apdu.u16le(controlOffset + 2) >> 1
            if apdu.byteCount > apciLength { result.anomalies.insert(.unexpectedASDU) }
        case .u:
            result.uFunction = control >> 2
            let function = result.uFunction
            if function == 0 || function & (function - 1) != 0 { result.anomalies.insert(.invalidUFunction) }
            if apdu.byteCount > apciLength { result.anomalies.insert(.unexpectedASDU) }
        }
        return result
    }

    static func parseASDU(_ apdu: RawSpan, into result: inout IEC104APDU) {
        guard apdu.byteCount >= objectsOffset else {
            result.anomalies.insert(.truncatedASDU)
            // What a cut header holds is still reported (as tshark does): the type, the cause.
            guard apdu.byteCount > typeOffset else { return }
            var partial = IEC104ASDU()
            partial.headerBytes = apdu.byteCount - typeOffset
            partial.typeID = apdu.u8(typeOffset)
            if apdu.byteCount > vsqOffset {
                partial.sequence = apdu.u8(vsqOffset) & 0x80 != 0
                partial.count = Int(apdu.u8(vsqOffset) & 0x7F)
            }
            if apdu.byteCount > causeOffset {
                partial.cause = apdu.u8(causeOffset) & 0x3F
                partial.negative = apdu.u8(causeOffset) & 0x40 != 0
                partial.test = apdu.u8(causeOffset) & 0x80 != 0
            }
            if apdu.byteCount > originatorOffset { partial.originator = apdu.u8(originatorOffset) }
            result.asdu = partial
            return
        }
        var asdu = IEC104ASDU()
        asdu.typeID = apdu.u8(typeOffset)
        let vsq = apdu.u8(vsqOffset)
        asdu.sequence = vsq & 0x80 != 0
        asdu.count = Int(vsq & 0x7F)
        let cause = apdu.u8(causeOffset)
        asdu.cause = cause & 0x3F
        asdu.negative = cause & 0x40 != 0
        asdu.test = cause & 0x80 != 0
        asdu.originator = apdu.u8(originatorOffset)
        asdu.commonAddress = apdu.u16le(commonAddressOffset)
        defer { result.asdu = asdu }
        guard let size = IEC104Names.elementLength(asdu.typeID) else {
            // A type whose element size is not known: the header is reported, the objects not.
            if IEC104Names.typeName(asdu.typeID) == nil { result.anomalies.insert(.unknownType) }
            return
        }
        let available = apdu.byteCount - objectsOffset
        let needed = asdu.sequence ? (asdu.count > 0 ? ioaLength + asdu.count * size : 0) : asdu.count * (ioaLength + size)
        if needed != available {
            result.anomalies.insert(needed > available ? .truncatedASDU : .trailingBytes)
        }
        var offset = objectsOffset
        var address: UInt32 = 0
        for index in 0..<asdu.count {
            if !asdu.sequence || index == 0 {
                guard offset + ioaLength <= apdu.byteCount else { return }
                address = UInt32(apdu.u8(offset)) | UInt32(apdu.u8(offset + 1)) << 8 | UInt32(apdu.u8(offset + 2)) << 16
                offset += ioaLength
            } else {
                address &+= 1
            }
            guard offset + size <= apdu.byteCount else { return }
            if index < IEC104ASDU.objectCapacity {
                asdu.objects[index] = IEC104Object.decode(apdu.extracting(offset..<(offset + size)), type: asdu.typeID, address: address)
                asdu.keptObjectCount = index + 1
            }
            if index == 0 { asdu.firstAddress = address }
            asdu.lastAddress = address
            offset += size
        }
    }
}

/// What is wrong with an APDU (each becomes an `iec104.*` anomaly).
public struct IEC104Anomalies: OptionSet, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let truncatedAPCI = IEC104Anomalies(rawValue: 1 << 0)
    public static let truncatedASDU = IEC104Anomalies(rawValue: 1 << 1)
    public static let trailingBytes = IEC104Anomalies(rawValue: 1 << 2)
    public static let unknownType = IEC104Anomalies(rawValue: 1 << 3)
    public static let invalidUFunction = IEC104Anomalies(rawValue: 1 << 4)
    public static let unexpectedASDU = IEC104Anomalies(rawValue: 1 << 5)

    public var eventNames: [String] {
        var names: [String] = []
        if contains(.truncatedAPCI) { names.append("iec104.truncated_apci") }
        if contains(.truncatedASDU) { names.append("iec104.truncated_asdu") }
        if contains(.trailingBytes) { names.append("iec104.asdu_trailing_bytes") }
        if contains(.unknownType) { names.append("iec104.unknown_type_id") }
        if contains(.invalidUFunction) { names.append("iec104.invalid_u_function") }
        if contains(.unexpectedASDU) { names.append("iec104.unexpected_asdu") }
        return names
    }
}

/// One APDU, parsed.
public struct IEC104APDU: Sendable {
    public var format: IEC104.FrameFormat = .u
    public var length = 0
    public var sendSequence: UInt16 = 0
    public var receiveSequence: UInt16 = 0
    /// U-format: the function bits (1 STARTDT act, 2 STARTDT con, 4 STOPDT act, 8 STOPDT con,
    /// 16 TESTFR act, 32 TESTFR con), as tshark numbers them.
    public var uFunction: UInt8 = 0
    public var asdu: IEC104ASDU? = nil
    public var anomalies: IEC104Anomalies = []
    public init() {}
}

/// The ASDU of an I-format APDU; its first information objects are kept inline (no allocation).
public struct IEC104ASDU: Sendable {
    public static let objectCapacity = 8
    public var typeID: UInt8 = 0
    public var sequence = false
    public var count = 0
    public var cause: UInt8 = 0
    public var negative = false
    public var test = false
    public var originator: UInt8 = 0
    public var commonAddress: UInt16 = 0
    /// The first and last information object address (0 when there is none).
    public var firstAddress: UInt32 = 0
    public var lastAddress: UInt32 = 0
    public var objects = InlineArray<8, IEC104Object>(repeating: IEC104Object())
    public var keptObjectCount = 0
    /// Header bytes present (6 for a whole header; fewer when the APDU cut it short, and then
    /// only the fields inside them are meaningful).
    public var headerBytes = 6
    public var isComplete: Bool { headerBytes >= 6 }
    public init() {}

    /// Commands in the control direction: single, double, regulating step, set-points and
    /// bitstring, with and without time tag.
    public var isCommand: Bool { (45...51).contains(typeID) || (58...64).contains(typeID) }
    /// An activation or deactivation (what a controlling station sends).
    public var isActivation: Bool { cause == 6 || cause == 8 }
}

/// One information object: its address, value, quality and time tag where the type has them.
public struct IEC104Object: Sendable {
    public enum Value: Sendable, Equatable {
        case none
        case integer(Int64)
        case real(Double)
    }

    public var address: UInt32 = 0
    public var value: Value = .none
    /// Quality descriptor bits (IV 0x80, NT 0x40, SB 0x20, BL 0x10, OV 0x01), or the command's
    /// qualifier byte for commands; nil when the type has none.
    public var quality: UInt8? = nil
    /// CP56Time2a: milliseconds of the minute, minute, hour, day, month, year (two digits).
    public var time: (milliseconds: UInt16, minute: UInt8, hour: UInt8, day: UInt8, month: UInt8, year: UInt8)? = nil
    public init() {}

    static func decode(_ element: RawSpan, type: UInt8, address: UInt32) -> IEC104Object {
        var object = IEC104Object()
        object.address = address
        func int16(_ at: Int) -> Int64 { Int64(Int16(bitPattern: element.u16le(at))) }
        func float32(_ at: Int) -> Double { Double(Float(bitPattern: element.u32le(at))) }
        switch type {
        case 1, 2, 30:  // single point: SPI in bit 0, quality in the high bits
            object.value = .integer(Int64(element.u8(0) & 0x01))
            object.quality = element.u8(0) & 0xF0
        case 3, 4, 31:  // double point: DPI in bits 0-1
            object.value = .integer(Int64(element.u8(0) & 0x03))
            object.quality = element.u8(0) & 0xF0
        case 5, 6, 32:  // step position: 7-bit signed value, transient bit 0x80
            object.value = .integer(Int64(Int8(bitPattern: element.u8(0) << 1) >> 1))
            object.quality = element.u8(1)
        case 7, 8, 33:  // bitstring of 32 bits
            object.value = .integer(Int64(element.u32le(0)))
            object.quality = element.u8(4)
        case 9, 10, 34:  // measured value, normalized (-1 ... 1 - 2^-15)
            object.value = .real(Double(int16(0)) / 32768)
            object.quality = element.u8(2)
        case 11, 12, 35:  // measured value, scaled
            object.value = .integer(int16(0))
            object.quality = element.u8(2)
        case 13, 14, 36:  // measured value, short float
            object.value = .real(float32(0))
            object.quality = element.u8(4)
        case 15, 16, 37:  // integrated totals: counter, and sequence / quality byte
            object.value = .integer(Int64(Int32(bitPattern: element.u32le(0))))
            object.quality = element.u8(4)
        case 21:  // measured value, normalized, without quality
            object.value = .real(Double(int16(0)) / 32768)
        case 45, 58:  // single command: SCS in bit 0; S/E and qualifier in the rest
            object.value = .integer(Int64(element.u8(0) & 0x01))
            object.quality = element.u8(0) & 0xFE
        case 46, 47, 59, 60:  // double command, regulating step: DCS/RCS in bits 0-1
            object.value = .integer(Int64(element.u8(0) & 0x03))
            object.quality = element.u8(0) & 0xFC
        case 48, 61:  // set-point, normalized, and its qualifier
            object.value = .real(Double(int16(0)) / 32768)
            object.quality = element.u8(2)
        case 49, 62:  // set-point, scaled
            object.value = .integer(int16(0))
            object.quality = element.u8(2)
        case 50, 63:  // set-point, short float
            object.value = .real(float32(0))
            object.quality = element.u8(4)
        case 51, 64:  // bitstring command
            object.value = .integer(Int64(element.u32le(0)))
        case 100, 101, 105:  // interrogation (QOI), counter interrogation (QCC), reset process (QRP)
            object.value = .integer(Int64(element.u8(0)))
        default:
            break
        }
        // CP56Time2a closes the element of every type with a long time tag.
        if IEC104Names.hasLongTime(type), element.byteCount >= 7 {
            let at = element.byteCount - 7
            object.time = (element.u16le(at), element.u8(at + 2) & 0x3F, element.u8(at + 3) & 0x1F, element.u8(at + 4) & 0x1F,
                           element.u8(at + 5) & 0x0F, element.u8(at + 6) & 0x7F)
        }
        return object
    }
}

/// Type identifications and causes of transmission (IEC 60870-5-101 §7.2.1, §7.2.3, and -104 §8).
public enum IEC104Names {
    /// The element size of a type, without its IOA (nil: variable or unknown).
    public static func elementLength(_ type: UInt8) -> Int? {
        switch type {
        case 1, 3: 1
        case 2, 4: 4
        case 5: 2
        case 6: 5
        case 7: 5
        case 8: 8
        case 9, 11: 3
        case 10, 12: 6
        case 13: 5
        case 14: 8
        case 15: 5
        case 16: 8
        case 17: 6
        case 18, 19: 7
        case 20: 5
        case 21: 2
        case 30, 31: 8
        case 32: 9
        case 33: 12
        case 34, 35: 10
        case 36, 37: 12
        case 38: 10
        case 39, 40: 11
        case 45, 46, 47: 1
        case 48, 49: 3
        case 50: 5
        case 51: 4
        case 58, 59, 60: 8
        case 61, 62: 10
        case 63: 12
        case 64: 11
        case 70: 1
        case 100, 101: 1
        case 102: 0
        case 103: 7
        case 104: 2
        case 105: 1
        case 106: 2
        case 107: 9
        case 110, 111: 3
        case 112: 5
        case 113: 1
        case 120: 6
        case 121: 7
        case 122: 4
        case 123: 5
        case 124: 4
        case 126: 13
        case 127: 16
        default: nil
        }
    }

    static func hasLongTime(_ type: UInt8) -> Bool { (30...40).contains(type) || (58...64).contains(type) || type == 103 || type == 107 }

    public static func typeName(_ type: UInt8) -> StaticString? {
        switch type {
        case 1: "M_SP_NA_1"
        case 2: "M_SP_TA_1"
        case 3: "M_DP_NA_1"
        case 4: "M_DP_TA_1"
        case 5: "M_ST_NA_1"
        case 6: "M_ST_TA_1"
        case 7: "M_BO_NA_1"
        case 8: "M_BO_TA_1"
        case 9: "M_ME_NA_1"
        case 10: "M_ME_TA_1"
        case 11: "M_ME_NB_1"
        case 12: "M_ME_TB_1"
        case 13: "M_ME_NC_1"
        case 14: "M_ME_TC_1"
        case 15: "M_IT_NA_1"
        case 16: "M_IT_TA_1"
        case 17: "M_EP_TA_1"
        case 18: "M_EP_TB_1"
        case 19: "M_EP_TC_1"
        case 20: "M_PS_NA_1"
        case 21: "M_ME_ND_1"
        case 30: "M_SP_TB_1"
        case 31: "M_DP_TB_1"
        case 32: "M_ST_TB_1"
        case 33: "M_BO_TB_1"
        case 34: "M_ME_TD_1"
        case 35: "M_ME_TE_1"
        case 36: "M_ME_TF_1"
        case 37: "M_IT_TB_1"
        case 38: "M_EP_TD_1"
        case 39: "M_EP_TE_1"
        case 40: "M_EP_TF_1"
        case 45: "C_SC_NA_1"
        case 46: "C_DC_NA_1"
        case 47: "C_RC_NA_1"
        case 48: "C_SE_NA_1"
        case 49: "C_SE_NB_1"
        case 50: "C_SE_NC_1"
        case 51: "C_BO_NA_1"
        case 58: "C_SC_TA_1"
        case 59: "C_DC_TA_1"
        case 60: "C_RC_TA_1"
        case 61: "C_SE_TA_1"
        case 62: "C_SE_TB_1"
        case 63: "C_SE_TC_1"
        case 64: "C_BO_TA_1"
        case 70: "M_EI_NA_1"
        case 100: "C_IC_NA_1"
        case 101: "C_CI_NA_1"
        case 102: "C_RD_NA_1"
        case 103: "C_CS_NA_1"
        case 104: "C_TS_NA_1"
        case 105: "C_RP_NA_1"
        case 106: "C_CD_NA_1"
        case 107: "C_TS_TA_1"
        case 110: "P_ME_NA_1"
        case 111: "P_ME_NB_1"
        case 112: "P_ME_NC_1"
        case 113: "P_AC_NA_1"
        case 120: "F_FR_NA_1"
        case 121: "F_SR_NA_1"
        case 122: "F_SC_NA_1"
        case 123: "F_LS_NA_1"
        case 124: "F_AF_NA_1"
        case 125: "F_SG_NA_1"
        case 126: "F_DR_TA_1"
        case 127: "F_SC_NB_1"
        default: nil
        }
    }

    public static func causeName(_ cause: UInt8) -> StaticString? {
        switch cause {
        case 1: "per/cyc"
        case 2: "back"
        case 3: "spont"
        case 4: "init"
        case 5: "req"
        case 6: "act"
        case 7: "actcon"
        case 8: "deact"
        case 9: "deactcon"
        case 10: "actterm"
        case 11: "retrem"
        case 12: "retloc"
        case 13: "file"
        case 20: "inrogen"
        case 21...36: "inro"
        case 37: "reqcogen"
        case 38...41: "reqco"
        case 44: "unknown_type"
        case 45: "unknown_cause"
        case 46: "unknown_asdu_address"
        case 47: "unknown_object_address"
        default: nil
        }
    }

    /// A type from its name (`C_SC_NA_1`) or number.
    public static func type(named text: Substring) -> UInt8? {
        if let number = UInt8(text) { return number }
        for code in 0...255 where typeName(UInt8(code)).map({ $0.description == text }) == true { return UInt8(code) }
        return nil
    }

    /// A cause from its name (`act`) or number (the first of a named range: `inro` is 21).
    public static func cause(named text: Substring) -> UInt8? {
        if let number = UInt8(text), number < 64 { return number }
        for code in 0..<64 where causeName(UInt8(code)).map({ $0.description == text }) == true { return UInt8(code) }
        return nil
    }
}
