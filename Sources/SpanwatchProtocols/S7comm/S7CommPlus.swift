import SpanwatchWire
import SpanwatchFlow
import SpanwatchJSON
// S7comm-plus (protocol id 0x72): the S7-1200/1500 protocol. Recognised and summarised only:
// version, opcode and function. Version 3 adds an integrity part (a digest) before the data,
// and sessions from V3 on are integrity-protected, so the contents are not interpreted.
//
//  0      1         2-3                  4 ...
// +------+---------+--------------------+---------------------------------------------------
// | 0x72 | version | data length (BE)   | V1/V2: opcode | reserved (2) | function (2) | ...
// +------+---------+--------------------+ V3:    digest length | digest | opcode | reserved (2) | function (2)
//
// Opcodes: 0x31 request, 0x32 response, 0x33 notification, 0x02 response2.

public enum S7CommPlus {
    public static let protocolID: UInt8 = 0x72

    public struct Summary: Sendable {
        public var version: UInt8 = 0
        public var dataLength: UInt16 = 0
        public var opcode: UInt8 = 0
        public var function: UInt16 = 0
        public var hasOpcode = false
        public var hasFunction = false
        public init() {}

        public var opcodeName: String {
            switch opcode {
            case 0x31: "REQUEST"
            case 0x32: "RESPONSE"
            case 0x33: "NOTIFICATION"
            case 0x02: "RESPONSE2"
            default: "UNKNOWN"
            }
        }

        public var functionName: String {
            switch function {
            case 0x04BB: "EXPLORE"
            case 0x04CA: "CREATE_OBJECT"
            case 0x04D4: "DELETE_OBJECT"
            case 0x04F2: "SET_VARIABLE"
            case 0x0524: "GET_LINK"
            case 0x0542: "SET_MULTI_VARIABLES"
            case 0x054C: "GET_MULTI_VARIABLES"
            case 0x0556: "BEGIN_SEQUENCE"
            case 0x0560: "END_SEQUENCE"
            case 0x056B: "INVOKE"
            case 0x0586: "GET_VAR_SUBSTREAMED"
            case 0x0598: "SET_VAR_SUBSTREAMED"
            default: "UNKNOWN"
            }
        }
    }

    public static func looksLikeS7CommPlus(_ payload: RawSpan) -> Bool {
        payload.byteCount >= 4 && payload.u8(0) == protocolID && payload.u8(1) >= 1 && payload.u8(1) <= 3
    }

    public static func parse(_ payload: RawSpan) -> Summary {
        var summary = Summary()
        guard payload.byteCount >= 4 else { return summary }
        summary.version = payload.u8(1)
        summary.dataLength = payload.u16be(2)
        var offset = 4
        if summary.version == 3 {
            guard payload.byteCount > offset else { return summary }
            offset += 1 + Int(payload.u8(offset))
        }
        guard payload.byteCount > offset else { return summary }
        summary.opcode = payload.u8(offset)
        summary.hasOpcode = true
        guard payload.byteCount >= offset + 5 else { return summary }
        summary.function = payload.u16be(offset + 3)
        summary.hasFunction = true
        return summary
    }
}
