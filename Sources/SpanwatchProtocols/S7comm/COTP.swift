import SpanwatchWire
import SpanwatchFlow
import SpanwatchJSON
// COTP: ISO 8073 / X.224 transport protocol class 0, as carried in TPKT (RFC 1006).
//
// Every TPDU starts with a length indicator (LI: bytes of header after LI) and a code:
//   CR 0xE0 connection request, CC 0xD0 connection confirm, DR 0x80 disconnect request,
//   DC 0xC0 disconnect confirm, DT 0xF0 data, ED 0x10 expedited data, AK 0x60, EA 0x20,
//   RJ 0x50, ER 0x70 error.
//
// CR/CC: LI | code | dst-ref (2) | src-ref (2) | class/options | parameters (code, length, value):
//   0xC0 TPDU size, 0xC1 calling TSAP (source), 0xC2 called TSAP (destination).
// DT:    LI (2) | 0xF0 | EOT (0x80) + TPDU number (7 bits) | user data (an S7 PDU, or a part of one)
//
// Siemens TSAPs are two bytes: the connection type (1 PG/programming device, 2 OP/HMI, 3 S7
// basic, 0x10+ S7 other) and rack * 32 + slot.

public enum COTP {
    public struct TPDUType: RawRepresentable, Hashable, Sendable {
        public var rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public init(code: UInt8) { rawValue = code & 0xF0 }

        public static let connectionRequest = TPDUType(rawValue: 0xE0)
        public static let connectionConfirm = TPDUType(rawValue: 0xD0)
        public static let disconnectRequest = TPDUType(rawValue: 0x80)
        public static let disconnectConfirm = TPDUType(rawValue: 0xC0)
        public static let data = TPDUType(rawValue: 0xF0)
        public static let expeditedData = TPDUType(rawValue: 0x10)
        public static let dataAcknowledgement = TPDUType(rawValue: 0x60)
        public static let expeditedAcknowledgement = TPDUType(rawValue: 0x20)
        public static let reject = TPDUType(rawValue: 0x50)
        public static let error = TPDUType(rawValue: 0x70)

        public var name: String {
            switch rawValue {
            case 0xE0: "CR"
            case 0xD0: "CC"
            case 0x80: "DR"
            case 0xC0: "DC"
            case 0xF0: "DT"
            case 0x10: "ED"
            case 0x60: "AK"
            case 0x20: "EA"
            case 0x50: "RJ"
            case 0x70: "ER"
            default: "UNKNOWN"
            }
        }

        public var isKnown: Bool { name != "UNKNOWN" }
    }

    /// A TSAP of at most 16 bytes, kept inline.
    public struct TSAP: Sendable {
        public var bytes = InlineArray<16, UInt8>(repeating: 0)
        public var count = 0
        public init() {}

        /// Lower-case hex, as ICSNPP and tshark write TSAPs (`0100`).
        public var hex: String {
            var text = ""
            for index in 0..<count {
                let byte = bytes[index]
                text += String(byte >> 4, radix: 16) + String(byte & 0xF, radix: 16)
            }
            return text
        }

        /// Siemens: the first byte's connection type (PG, OP, S7 basic), when two bytes long.
        public var siemensConnectionType: String? {
            guard count == 2 else { return nil }
            switch bytes[0] {
            case 1: return "PG"
            case 2: return "OP"
            case 3: return "S7_BASIC"
            case 0x10...0xFF: return "S7_OTHER"
            default: return nil
            }
        }

        public var siemensRack: UInt8 { bytes[1] >> 5 }
        public var siemensSlot: UInt8 { bytes[1] & 0x1F }
    }

    /// One parsed TPDU header (the user data of a DT follows at `headerLength`).
    public struct Header: Sendable {
        public var type = TPDUType(rawValue: 0)
        public var lengthIndicator: UInt8 = 0
        /// Bytes of the TPDU header: LI + 1.
        public var headerLength = 0
        public var endOfTransmission = false
        public var tpduNumber: UInt8 = 0
        public var destinationReference: UInt16 = 0
        public var sourceReference: UInt16 = 0
        public var protocolClass: UInt8 = 0
        public var tpduSize: UInt8 = 0
        public var callingTSAP = TSAP()
        public var calledTSAP = TSAP()
        public init() {}
    }

    public enum ParseError: String, Error, Sendable {
        case truncated = "cotp.truncated"
        case badLengthIndicator = "cotp.bad_length_indicator"
    }

    /// Parses the COTP header at the start of a TPKT's payload.
    public static func parse(_ bytes: RawSpan) -> Result<Header, ParseError> {
        guard bytes.byteCount >= 2 else { return .failure(.truncated) }
        var header = Header()
        header.lengthIndicator = bytes.u8(0)
        header.headerLength = Int(header.lengthIndicator) + 1
        header.type = TPDUType(code: bytes.u8(1))
        guard header.lengthIndicator >= 1, header.headerLength <= bytes.byteCount else { return .failure(.badLengthIndicator) }
        switch header.type {
        case .data:
            guard header.lengthIndicator >= 2 else { return .failure(.badLengthIndicator) }
            header.endOfTransmission = bytes.u8(2) & 0x80 != 0
            header.tpduNumber = bytes.u8(2) & 0x7F
        case .connectionRequest, .connectionConfirm, .disconnectRequest:
            guard header.lengthIndicator >= 6 else { return .failure(.badLengthIndicator) }
            header.destinationReference = bytes.u16be(2)
            header.sourceReference = bytes.u16be(4)
            header.protocolClass = bytes.u8(6)
            guard header.type != .disconnectRequest else { break }
            var offset = 7
            while offset + 2 <= header.headerLength {
                let code = bytes.u8(offset)
                let length = Int(bytes.u8(offset + 1))
                guard offset + 2 + length <= header.headerLength else { return .failure(.badLengthIndicator) }
                let value = bytes.extracting((offset + 2)..<(offset + 2 + length))
                switch code {
                case 0xC0 where length >= 1: header.tpduSize = value.u8(0)
                case 0xC1: header.callingTSAP = tsap(value)
                case 0xC2: header.calledTSAP = tsap(value)
                default: break
                }
                offset += 2 + length
            }
        default:
            break
        }
        return .success(header)
    }

    static func tsap(_ value: RawSpan) -> TSAP {
        var tsap = TSAP()
        tsap.count = min(value.byteCount, 16)
        for index in 0..<tsap.count { tsap.bytes[index] = value.u8(index) }
        return tsap
    }
}
