import SpanwatchFlow
import SpanwatchWire

/// Control-plane commands that change what a controller does (CONTRACT.md §3
/// `critical_operation`), recognised in protocol events, with the ATT&CK for ICS technique each
/// one is an instance of. These are alerts whatever the baseline says.
enum CriticalOperations {
    struct Finding {
        var operation: String
        var technique: (id: String, name: String)?
        /// The normalized operation (`program_download`, `mode_change`, `restart`, ...), which
        /// `allowed_operations` in the config names.
        var category: String {
            switch technique?.id {
            case "T0843": "program_download"
            case "T0845": "program_upload"
            case "T0858": "mode_change"
            case "T0816": "restart"
            case "T0809": "delete_block"
            case "T0881": "stop_application"
            case "T0878": "disable_unsolicited"
            case "T0836": "parameter_change"
            default: "file_operation"
            }
        }
    }

    /// Every category `category` can take (for validating `allowed_operations`).
    static let categories: Set<String> = ["program_download", "program_upload", "mode_change", "restart", "delete_block",
                                          "stop_application", "disable_unsolicited", "parameter_change", "file_operation"]

    static func find(_ body: EventBody) -> Finding? {
        switch body {
        case .s7comm(let event):
            guard case .s7comm(let pdu) = event.payload, pdu.rosctr == 1, pdu.hasFunction else { return nil }
            switch pdu.function {
            case 0x29: return Finding(operation: "S7 PLC STOP", technique: ("T0858", "Change Operating Mode"))
            case 0x1A: return Finding(operation: "S7 program download" + blockName(pdu), technique: ("T0843", "Program Download"))
            case 0x1D: return Finding(operation: "S7 program upload" + blockName(pdu), technique: ("T0845", "Program Upload"))
            case 0x28:
                if pdu.piService.hasPrefix("_DELE") { return Finding(operation: "S7 delete block", technique: ("T0809", "Data Destruction")) }
                if pdu.piService.hasPrefix("P_PROGRAM") { return Finding(operation: "S7 PLC START", technique: ("T0858", "Change Operating Mode")) }
                if pdu.piService.hasPrefix("_INSE") { return Finding(operation: "S7 activate block", technique: ("T0843", "Program Download")) }
                return nil
            default: return nil
            }
        case .dnp3(let event):
            guard event.kind == .request else { return nil }
            switch event.fragment.function.rawValue {
            case 13, 14: return Finding(operation: "DNP3 \(event.fragment.function.name)", technique: ("T0816", "Device Restart/Shutdown"))
            case 18: return Finding(operation: "DNP3 STOP_APPL", technique: ("T0881", "Service Stop"))
            case 15, 16: return Finding(operation: "DNP3 \(event.fragment.function.name)", technique: ("T0836", "Modify Parameter"))
            case 21: return Finding(operation: "DNP3 DISABLE_UNSOLICITED", technique: ("T0878", "Alarm Suppression"))
            case 25...30: return Finding(operation: "DNP3 \(event.fragment.function.name)", technique: nil)
            default: return nil
            }
        case .modbus(let transaction):
            guard let request = transaction.request else { return nil }
            if request.function == .diagnostics && request.hasSubfunction {
                switch request.subfunction {
                case 1: return Finding(operation: "Modbus restart communications", technique: ("T0816", "Device Restart/Shutdown"))
                case 4: return Finding(operation: "Modbus force listen-only mode", technique: ("T0858", "Change Operating Mode"))
                default: return nil
                }
            }
            if request.functionRaw == 90 { return Finding(operation: "Modbus UMAS (Unity programming)", technique: ("T0843", "Program Download")) }
            return nil
        default:
            return nil
        }
    }

    static func blockName(_ pdu: S7PDU) -> String {
        guard let block = pdu.block else { return "" }
        return " (\(block.type) \(block.number))"
    }
}
