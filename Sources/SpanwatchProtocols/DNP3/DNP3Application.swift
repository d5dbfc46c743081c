import SpanwatchWire
import SpanwatchFlow
import SpanwatchJSON
// DNP3 application layer: IEEE 1815-2012 §4.2.2 (fragments), §4.2.2.7 (object headers),
// Annex A (object library).
//
// Request fragment:   AC | FC | object headers (and data) ...
// Response fragment:  AC | FC | IIN1 | IIN2 | object headers and data ...
//
// AC (application control): FIR 0x80, FIN 0x40, CON 0x20, UNS 0x10, SEQ 0x0F.
//
// Object header: GROUP | VARIATION | QUALIFIER | range ...
// QUALIFIER: bit 7 reserved, bits 6-4 object prefix code, bits 3-0 range specifier code:
//   range 0/1/2: start and stop index of 1/2/4 bytes;  3/4/5: start and stop virtual addresses;
//   6: no range (all objects);  7/8/9: object count of 1/2/4 bytes;  B: free format, 1-byte count.
//   prefix 0: none;  1/2/3: object index of 1/2/4 bytes;  4/5/6: object size of 1/2/4 bytes.
//
// To find the next header, the data of every object must be skipped, so the parser knows the
// size of each group/variation it meets (`DNP3ObjectSizes`). An object it cannot size ends the
// walk with `unknownObject`: the headers before it are reported, `complete` is false.

/// DNP3 application function codes (an open set: unknown codes keep their number).
public struct DNP3Function: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let confirm = DNP3Function(rawValue: 0)
    public static let read = DNP3Function(rawValue: 1)
    public static let write = DNP3Function(rawValue: 2)
    public static let select = DNP3Function(rawValue: 3)
    public static let operate = DNP3Function(rawValue: 4)
    public static let directOperate = DNP3Function(rawValue: 5)
    public static let directOperateNoAck = DNP3Function(rawValue: 6)
    public static let coldRestart = DNP3Function(rawValue: 13)
    public static let warmRestart = DNP3Function(rawValue: 14)
    public static let stopApplication = DNP3Function(rawValue: 18)
    public static let enableUnsolicited = DNP3Function(rawValue: 20)
    public static let disableUnsolicited = DNP3Function(rawValue: 21)
    public static let response = DNP3Function(rawValue: 129)
    public static let unsolicitedResponse = DNP3Function(rawValue: 130)
    public static let authenticateResponse = DNP3Function(rawValue: 131)

    /// Suricata's names (`dnp3.function_code` in EVE are numbers; these are for people).
    public var name: String {
        switch rawValue {
        case 0: "CONFIRM"
        case 1: "READ"
        case 2: "WRITE"
        case 3: "SELECT"
        case 4: "OPERATE"
        case 5: "DIRECT_OPERATE"
        case 6: "DIRECT_OPERATE_NR"
        case 7: "IMMED_FREEZE"
        case 8: "IMMED_FREEZE_NR"
        case 9: "FREEZE_CLEAR"
        case 10: "FREEZE_CLEAR_NR"
        case 11: "FREEZE_AT_TIME"
        case 12: "FREEZE_AT_TIME_NR"
        case 13: "COLD_RESTART"
        case 14: "WARM_RESTART"
        case 15: "INITIALIZE_DATA"
        case 16: "INITIALIZE_APPL"
        case 17: "START_APPL"
        case 18: "STOP_APPL"
        case 19: "SAVE_CONFIG"
        case 20: "ENABLE_UNSOLICITED"
        case 21: "DISABLE_UNSOLICITED"
        case 22: "ASSIGN_CLASS"
        case 23: "DELAY_MEASURE"
        case 24: "RECORD_CURRENT_TIME"
        case 25: "OPEN_FILE"
        case 26: "CLOSE_FILE"
        case 27: "DELETE_FILE"
        case 28: "GET_FILE_INFO"
        case 29: "AUTHENTICATE_FILE"
        case 30: "ABORT_FILE"
        case 31: "ACTIVATE_CONFIG"
        case 32: "AUTHENTICATE_REQ"
        case 33: "AUTH_REQ_NO_ACK"
        case 129: "RESPONSE"
        case 130: "UNSOLICITED_RESPONSE"
        case 131: "AUTHENTICATE_RESP"
        default: "UNKNOWN"
        }
    }

    public var isResponse: Bool { rawValue >= 129 }

    /// Requests whose object headers carry no object data (they name points, not values).
    public var requestHasHeadersOnly: Bool {
        switch rawValue {
        case 1, 7, 8, 9, 10, 20, 21, 22: true
        default: false
        }
    }
}

/// Internal indications (IIN1 in the low byte's position 8-15 as written: IIN1 << 8 | IIN2).
public enum DNP3IIN {
    /// Names of the set bits, IIN1.0 first (Suricata's and the standard's order).
    public static let names: [String] = [
        "all_stations", "class_1_events", "class_2_events", "class_3_events",
        "need_time", "local_control", "device_trouble", "device_restart",
        "no_func_code_support", "object_unknown", "parameter_error", "event_buffer_overflow",
        "already_executing", "config_corrupt", "reserved_2", "reserved_1",
    ]

    /// Bit `i` of the result is the i-th name: IIN1 bits 0-7, then IIN2 bits 0-7.
    public static func bits(iin1: UInt8, iin2: UInt8) -> UInt16 { UInt16(iin2) << 8 | UInt16(iin1) }
}

/// One object header as written on the wire.
public struct DNP3ObjectHeader: Sendable, Equatable {
    public var group: UInt8 = 0
    public var variation: UInt8 = 0
    public var qualifier: UInt8 = 0
    public var start: UInt32 = 0
    public var stop: UInt32 = 0
    /// Objects this header covers (0 for "all objects" headers, range code 6).
    public var count: UInt32 = 0
    public init() {}

    public var prefixCode: UInt8 { (qualifier >> 4) & 0x07 }
    public var rangeCode: UInt8 { qualifier & 0x0F }
    public var hasStartStop: Bool { rangeCode <= 5 }
}

/// A value from a control or setting object: what an operator (or attacker) told a device.
public struct DNP3Point: Sendable, Equatable {
    public enum Kind: UInt8, Sendable { case crob, analogOutput, time, binaryOutput }
    public var kind: Kind = .crob
    public var group: UInt8 = 0
    public var variation: UInt8 = 0
    public var index: UInt32 = 0
    /// CROB: control code, count, on/off time (ms), status. Analog output: value, status.
    public var controlCode: UInt8 = 0
    public var count: UInt8 = 0
    public var onTime: UInt32 = 0
    public var offTime: UInt32 = 0
    public var status: UInt8 = 0
    public var integerValue: Int64 = 0
    public var floatValue: Double = 0
    public var isFloat = false
    /// Time objects: milliseconds since 1970-01-01 UTC (DNP3 time is 48 bits).
    public var milliseconds: UInt64 = 0
    public init() {}

    /// CROB control code: the operation type (bits 0-3) and trip/close code (bits 6-7).
    public var operationTypeName: String {
        switch controlCode & 0x0F {
        case 0: "NUL"
        case 1: "PULSE_ON"
        case 2: "PULSE_OFF"
        case 3: "LATCH_ON"
        case 4: "LATCH_OFF"
        default: "UNDEFINED"
        }
    }

    public var tripCloseName: String {
        switch controlCode >> 6 {
        case 0: "NUL"
        case 1: "CLOSE"
        case 2: "TRIP"
        default: "RESERVED"
        }
    }
}

/// Malformations found while walking a fragment.
public struct DNP3Anomalies: OptionSet, Sendable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    /// The fragment ends inside an object header or its data.
    public static let truncatedObject = DNP3Anomalies(rawValue: 1 << 0)
    /// An object whose size the parser does not know, or a reserved qualifier.
    public static let unknownObject = DNP3Anomalies(rawValue: 1 << 1)
    /// A start index above its stop index.
    public static let badRange = DNP3Anomalies(rawValue: 1 << 2)
    /// A fragment shorter than its application header.
    public static let truncatedHeader = DNP3Anomalies(rawValue: 1 << 3)

    public var eventNames: [String] {
        var names: [String] = []
        if contains(.truncatedHeader) { names.append("dnp3.truncated_application_header") }
        if contains(.truncatedObject) { names.append("dnp3.truncated_object") }
        if contains(.unknownObject) { names.append("dnp3.unknown_object") }
        if contains(.badRange) { names.append("dnp3.bad_object_range") }
        return names
    }
}

/// One parsed application fragment: headers, IIN, and capped object headers and control values.
public struct DNP3Fragment: Sendable {
    public static let objectCapacity = 16
    public static let pointCapacity = 8

    public var control: UInt8 = 0
    public var function = DNP3Function(rawValue: 0)
    public var hasIIN = false
    public var iin: UInt16 = 0
    public var objects = InlineArray<16, DNP3ObjectHeader>(repeating: DNP3ObjectHeader())
    /// Every object header in the fragment (those beyond `objectCapacity` are counted only).
    public var objectCount = 0
    public var points = InlineArray<8, DNP3Point>(repeating: DNP3Point())
    public var pointCount = 0
    /// Every object walked to its end: the fragment was understood in full.
    public var complete = false
    public var anomalies = DNP3Anomalies()
    /// g70 file name (open, delete, descriptor), as bytes from the wire.
    public var fileName: [UInt8]? = nil
    /// g0 device attributes with a visible-string value (variation → text), as identity.
    public var deviceAttributes: [(variation: UInt8, value: [UInt8])] = []
    public var length = 0

    public init() {}

    public var fir: Bool { control & 0x80 != 0 }
    public var fin: Bool { control & 0x40 != 0 }
    public var con: Bool { control & 0x20 != 0 }
    public var uns: Bool { control & 0x10 != 0 }
    public var sequence: UInt8 { control & 0x0F }
    public var keptObjectCount: Int { min(objectCount, DNP3Fragment.objectCapacity) }
    public var keptPointCount: Int { min(pointCount, DNP3Fragment.pointCapacity) }
}

public enum DNP3Application {
    public static let requestHeaderLength = 2
    public static let responseHeaderLength = 4

    /// Parses one reassembled application fragment.
    public static func parse(_ fragment: RawSpan) -> DNP3Fragment {
        var result = DNP3Fragment()
        result.length = fragment.byteCount
        guard fragment.byteCount >= requestHeaderLength else {
            result.anomalies.insert(.truncatedHeader)
            if fragment.byteCount >= 1 { result.control = fragment.u8(0) }
            return result
        }
        result.control = fragment.u8(0)
        result.function = DNP3Function(rawValue: fragment.u8(1))
        var offset = requestHeaderLength
        if result.function.isResponse {
            guard fragment.byteCount >= responseHeaderLength else {
                result.anomalies.insert(.truncatedHeader)
                return result
            }
            result.hasIIN = true
            result.iin = DNP3IIN.bits(iin1: fragment.u8(2), iin2: fragment.u8(3))
            offset = responseHeaderLength
        }
        let headersOnly = !result.function.isResponse && result.function.requestHasHeadersOnly
        while offset < fragment.byteCount {
            guard let next = walkObject(fragment, at: offset, headersOnly: headersOnly, into: &result) else { return result }
            offset = next
        }
        result.complete = true
        return result
    }

    /// Reads one object header and skips (or records) its data; nil when the walk must stop.
    static func walkObject(_ bytes: RawSpan, at start: Int, headersOnly: Bool, into result: inout DNP3Fragment) -> Int? {
        var offset = start
        guard bytes.byteCount - offset >= 3 else { result.anomalies.insert(.truncatedObject); return nil }
        var header = DNP3ObjectHeader()
        header.group = bytes.u8(offset)
        header.variation = bytes.u8(offset + 1)
        header.qualifier = bytes.u8(offset + 2)
        offset += 3
        let range = header.rangeCode
        func read(_ width: Int) -> UInt32? {
            guard bytes.byteCount - offset >= width else { return nil }
            defer { offset += width }
            switch width {
            case 1: return UInt32(bytes.u8(offset))
            case 2: return UInt32(bytes.u16le(offset))
            default: return bytes.u32le(offset)
            }
        }
        switch range {
        case 0, 1, 2, 3, 4, 5:
            let width = 1 << Int(range % 3)
            guard let first = read(width), let last = read(width) else { result.anomalies.insert(.truncatedObject); record(header, into: &result); return nil }
            header.start = first
            header.stop = last
            // Stop below start, or the full 32-bit range (2^32 objects: no count holds it).
            guard last >= first, last - first < UInt32.max else { result.anomalies.insert(.badRange); record(header, into: &result); return nil }
            header.count = last - first + 1
        case 6:
            header.count = 0
        case 7, 8, 9:
            guard let count = read(1 << Int(range - 7)) else { result.anomalies.insert(.truncatedObject); record(header, into: &result); return nil }
            header.count = count
        case 0xB:
            guard let count = read(1) else { result.anomalies.insert(.truncatedObject); record(header, into: &result); return nil }
            header.count = count
        default:
            result.anomalies.insert(.unknownObject)
            record(header, into: &result)
            return nil
        }
        record(header, into: &result)
        // Headers that name points carry no data: reads, class polls, "all objects" ranges.
        // Free-format objects (range code B) always carry theirs, even in a read (g70v5).
        if (headersOnly && range != 0xB) || range == 6 || header.group == 60 { return offset }
        return skipData(bytes, at: offset, header: header, into: &result)
    }

    static func record(_ header: DNP3ObjectHeader, into result: inout DNP3Fragment) {
        if result.objectCount < DNP3Fragment.objectCapacity { result.objects[result.objectCount] = header }
        result.objectCount += 1
    }

    /// Skips the data of `header.count` objects, recording control values on the way.
    static func skipData(_ bytes: RawSpan, at start: Int, header: DNP3ObjectHeader, into result: inout DNP3Fragment) -> Int? {
        var offset = start
        let prefix = Int(header.prefixCode)
        // Packed bits: one run for the whole range (no per-object prefix).
        if let bits = DNP3ObjectSizes.packedBits(group: header.group, variation: header.variation), prefix == 0 {
            let length = (Int(header.count) * bits + 7) / 8
            guard bytes.byteCount - offset >= length else { result.anomalies.insert(.truncatedObject); return nil }
            return offset + length
        }
        let indexWidth = prefix >= 1 && prefix <= 3 ? 1 << (prefix - 1) : 0
        let sizeWidth = prefix >= 4 && prefix <= 6 ? 1 << (prefix - 4) : 0
        guard prefix <= 6 else { result.anomalies.insert(.unknownObject); return nil }
        // Fixed-size objects without prefixes are skipped in one step (one bounds check, however
        // large the count) unless their values are kept; so are empty ones, which could otherwise
        // make a 65536-object range of nothing cost 65536 iterations.
        if prefix == 0, let size = DNP3ObjectSizes.fixedSize(group: header.group, variation: header.variation),
           size == 0 || !DNP3Application.keepsValues(group: header.group) {
            let (total, overflow) = Int(header.count).multipliedReportingOverflow(by: size)
            guard !overflow, bytes.byteCount - offset >= total else { result.anomalies.insert(.truncatedObject); return nil }
            return offset + total
        }
        var index = header.start
        for _ in 0..<header.count {
            var objectSize: Int? = nil
            if indexWidth > 0 {
                guard bytes.byteCount - offset >= indexWidth else { result.anomalies.insert(.truncatedObject); return nil }
                index = indexWidth == 1 ? UInt32(bytes.u8(offset)) : indexWidth == 2 ? UInt32(bytes.u16le(offset)) : bytes.u32le(offset)
                offset += indexWidth
            } else if sizeWidth > 0 {
                guard bytes.byteCount - offset >= sizeWidth else { result.anomalies.insert(.truncatedObject); return nil }
                objectSize = sizeWidth == 1 ? Int(bytes.u8(offset)) : sizeWidth == 2 ? Int(bytes.u16le(offset)) : Int(bytes.u32le(offset))
                offset += sizeWidth
            }
            if objectSize == nil {
                objectSize = DNP3ObjectSizes.fixedSize(group: header.group, variation: header.variation)
            }
            if objectSize == nil && header.group == 0 && result.function.isResponse {
                // Device attribute: data type code, length, value.
                guard bytes.byteCount - offset >= 2 else { result.anomalies.insert(.truncatedObject); return nil }
                objectSize = 2 + Int(bytes.u8(offset + 1))
            }
            guard let size = objectSize else { result.anomalies.insert(.unknownObject); return nil }
            guard size >= 0, bytes.byteCount - offset >= size else { result.anomalies.insert(.truncatedObject); return nil }
            recordValue(bytes.extracting(offset..<(offset + size)), header: header, index: index, into: &result)
            offset += size
            index &+= 1
        }
        return offset
    }

    /// Groups whose values are recorded: CROB, analog output, time, file, device attributes.
    static func keepsValues(group: UInt8) -> Bool {
        group == 12 || group == 41 || group == 50 || group == 70 || group == 0
    }

    /// Keeps the values that matter for security: control commands, set-points, time, files, identity.
    static func recordValue(_ object: RawSpan, header: DNP3ObjectHeader, index: UInt32, into result: inout DNP3Fragment) {
        var point = DNP3Point()
        point.group = header.group
        point.variation = header.variation
        point.index = index
        switch header.group {
        case 12 where (header.variation == 1 || header.variation == 2) && object.byteCount >= 11:
            point.kind = .crob
            point.controlCode = object.u8(0)
            point.count = object.u8(1)
            point.onTime = object.u32le(2)
            point.offTime = object.u32le(6)
            point.status = object.u8(10)
        case 41:
            point.kind = .analogOutput
            switch header.variation {
            case 1 where object.byteCount >= 5: point.integerValue = Int64(Int32(bitPattern: object.u32le(0))); point.status = object.u8(4)
            case 2 where object.byteCount >= 3: point.integerValue = Int64(Int16(bitPattern: object.u16le(0))); point.status = object.u8(2)
            case 3 where object.byteCount >= 5:
                point.floatValue = Double(Float(bitPattern: object.u32le(0))); point.isFloat = true; point.status = object.u8(4)
            case 4 where object.byteCount >= 9:
                point.floatValue = Double(bitPattern: UInt64(object.u32le(0)) | UInt64(object.u32le(4)) << 32); point.isFloat = true
                point.status = object.u8(8)
            default: return
            }
        case 50 where object.byteCount >= 6:
            point.kind = .time
            point.milliseconds = UInt64(object.u32le(0)) | UInt64(object.u16le(4)) << 32
        case 70:
            captureFileName(object, variation: header.variation, into: &result)
            return
        case 0 where result.function.isResponse && object.byteCount >= 2:
            // Visible strings (data type 1) among the identity attributes.
            if object.u8(0) == 1, header.variation >= 240, result.deviceAttributes.count < 16 {
                result.deviceAttributes.append((header.start == header.stop ? header.variation : UInt8(truncatingIfNeeded: index),
                                                object.extracting(2..<object.byteCount).copyBytes()))
            }
            return
        default:
            return
        }
        if result.pointCount < DNP3Fragment.pointCapacity { result.points[result.pointCount] = point }
        result.pointCount += 1
    }

    /// g70v3 (file command: name at offset 26 with its length at 2) and g70v7 (descriptor:
    /// name at offset 20 with its length at 2... per IEEE 1815 A.39): kept for file operations.
    static func captureFileName(_ object: RawSpan, variation: UInt8, into result: inout DNP3Fragment) {
        let (nameOffsetField, nameLengthField): (Int, Int) = switch variation {
        case 3: (0, 2)   // file command: name offset (2), name size (2), ...
        case 7: (0, 2)   // file descriptor: name offset (2), name size (2), ...
        default: (-1, -1)
        }
        guard nameOffsetField >= 0, object.byteCount >= 4 else { return }
        let nameOffset = Int(object.u16le(nameOffsetField))
        let nameLength = Int(object.u16le(nameLengthField))
        // Offsets count from the object's start including its 2-byte size prefix.
        let start = nameOffset - 2
        guard start >= 0, nameLength > 0, start + nameLength <= object.byteCount else { return }
        result.fileName = object.extracting(start..<(start + nameLength)).copyBytes()
    }
}

/// Object sizes (IEEE 1815-2012 Annex A): bytes per object, or bits per point for packed ones.
public enum DNP3ObjectSizes {
    /// Groups whose objects are packed bits (per point).
    public static func packedBits(group: UInt8, variation: UInt8) -> Int? {
        switch (group, variation) {
        case (1, 1), (10, 1), (12, 3), (80, 1): 1
        case (3, 1): 2
        default: nil
        }
    }

    /// Bytes of one object, when fixed by group and variation (a switch: no table lookups
    /// that could allocate on the packet path).
    public static func fixedSize(group: UInt8, variation: UInt8) -> Int? {
        let v = variation
        switch group {
        case 1, 3, 10: return v == 2 ? 1 : nil
        case 2, 4, 11, 13:
            switch v { case 1: return 1; case 2: return 7; case 3: return 3; default: return nil }
        case 12: return v == 1 || v == 2 ? 11 : nil
        case 20:
            switch v { case 1, 3: return 5; case 2, 4: return 3; case 5, 7: return 4; case 6, 8: return 2; default: return nil }
        case 21:
            switch v {
            case 1, 3: return 5; case 2, 4: return 3; case 5, 7: return 11; case 6, 8: return 9
            case 9, 11: return 4; case 10, 12: return 2; default: return nil
            }
        case 22, 23:
            switch v { case 1, 3: return 5; case 2, 4: return 3; case 5, 7: return 11; case 6, 8: return 9; default: return nil }
        case 30:
            switch v { case 1, 5: return 5; case 2: return 3; case 3: return 4; case 4: return 2; case 6: return 9; default: return nil }
        case 31:
            switch v {
            case 1, 7: return 5; case 2: return 3; case 3: return 11; case 4, 8: return 9
            case 5: return 4; case 6: return 2; default: return nil
            }
        case 32, 33, 42, 43:
            switch v {
            case 1, 5: return 5; case 2: return 3; case 3, 7: return 11; case 4, 6: return 9
            case 8: return 15; default: return nil
            }
        case 34:
            switch v { case 1: return 2; case 2, 3: return 4; default: return nil }
        case 40, 41:
            switch v { case 1, 3: return 5; case 2: return 3; case 4: return 9; default: return nil }
        case 50:
            switch v { case 1, 3: return 6; case 2: return 10; case 4: return 11; default: return nil }
        case 51: return v == 1 || v == 2 ? 6 : nil
        case 52: return v == 1 || v == 2 ? 2 : nil
        case 101:
            switch v { case 1: return 2; case 2: return 4; case 3: return 8; default: return nil }
        case 102: return v == 1 ? 1 : nil
        case 110, 111, 112, 113: return Int(v)   // octet strings, virtual terminal: the variation is the length
        case 120:
            // Secure authentication: v3 aggressive-mode request (CSQ 4 + user 2), v4 session key
            // status request (user 2); the others are free-format with a size prefix.
            switch v { case 3: return 6; case 4: return 2; default: return nil }
        case 121: return v == 1 ? 7 : nil
        case 122:
            switch v { case 1: return 7; case 2: return 13; default: return nil }
        default: return nil
        }
    }
}
