/// Names of CIP codes (The CIP Networks Library vol. 1: common services, appendix A; object
/// classes, chapter 5; general status, appendix B) and of Logix object-specific services.
public enum CIPNames {
    public static func service(_ code: UInt8, classID: UInt32?) -> StaticString {
        switch code {
        case 0x01: "Get_Attributes_All"
        case 0x02: "Set_Attributes_All"
        case 0x03: "Get_Attribute_List"
        case 0x04: "Set_Attribute_List"
        case 0x05: "Reset"
        case 0x06: "Start"
        case 0x07: "Stop"
        case 0x08: "Create"
        case 0x09: "Delete"
        case 0x0A: "Multiple_Service_Packet"
        case 0x0D: "Apply_Attributes"
        case 0x0E: "Get_Attribute_Single"
        case 0x10: "Set_Attribute_Single"
        case 0x11: "Find_Next_Object_Instance"
        case 0x15: "Restore"
        case 0x16: "Save"
        case 0x17: "No_Operation"
        case 0x18: "Get_Member"
        case 0x19: "Set_Member"
        case 0x1A: "Insert_Member"
        case 0x1B: "Remove_Member"
        case 0x4B: "Execute_PCCC"
        case 0x4C: "Read_Tag"
        case 0x4D: "Write_Tag"
        case 0x4E: classID == 0x06 ? "Forward_Close" : "Read_Modify_Write"
        case 0x52: classID == 0x06 ? "Unconnected_Send" : "Read_Tag_Fragmented"
        case 0x53: "Write_Tag_Fragmented"
        case 0x54: "Forward_Open"
        case 0x55: "Get_Instance_Attribute_List"
        case 0x5B: "Large_Forward_Open"
        default: "unknown"
        }
    }

    public static func className(_ code: UInt32) -> StaticString? {
        switch code {
        case 0x01: "Identity"
        case 0x02: "Message Router"
        case 0x04: "Assembly"
        case 0x05: "Connection"
        case 0x06: "Connection Manager"
        case 0x07: "Register"
        case 0x0F: "Parameter"
        case 0x37: "File"
        case 0x48: "Quality of Service"
        case 0x67: "PCCC"
        case 0x6B: "Symbol"
        case 0x6C: "Template"
        case 0x8B: "Time Sync"
        case 0xAC: "Program"
        case 0xF4: "Port"
        case 0xF5: "TCP/IP Interface"
        case 0xF6: "Ethernet Link"
        default: nil
        }
    }

    public static func generalStatus(_ code: UInt8) -> StaticString {
        switch code {
        case 0x00: "success"
        case 0x01: "connection failure"
        case 0x02: "resource unavailable"
        case 0x03: "invalid parameter value"
        case 0x04: "path segment error"
        case 0x05: "path destination unknown"
        case 0x06: "partial transfer"
        case 0x08: "service not supported"
        case 0x09: "invalid attribute value"
        case 0x0C: "object state conflict"
        case 0x0E: "attribute not settable"
        case 0x0F: "privilege violation"
        case 0x10: "device state conflict"
        case 0x13: "not enough data"
        case 0x14: "attribute not supported"
        case 0x15: "too much data"
        case 0x16: "object does not exist"
        case 0x1E: "embedded service error"
        case 0x20: "invalid parameter"
        default: "unknown"
        }
    }

    public static func encapsulationStatus(_ code: UInt32) -> StaticString {
        switch code {
        case 0x0000: "success"
        case 0x0001: "invalid_command"
        case 0x0002: "insufficient_memory"
        case 0x0003: "incorrect_data"
        case 0x0064: "invalid_session"
        case 0x0065: "invalid_length"
        case 0x0069: "unsupported_protocol_version"
        default: "unknown"
        }
    }

    /// ODVA vendor ids of the automation vendors a plant is made of.
    public static func vendor(_ id: UInt16) -> StaticString? {
        switch id {
        case 1: "Rockwell Automation/Allen-Bradley"
        case 2: "Namco Controls Corp."
        case 5: "Rockwell Automation/Reliance Elec."
        case 26: "Festo Corporation"
        case 40: "WAGO Corporation"
        case 44: "ABB, Inc."
        case 47: "Omron Corporation"
        case 48: "Turck, Inc."
        case 49: "Grayhill Inc."
        case 58: "Yaskawa Electric America"
        case 72: "Phoenix Contact"
        case 90: "HMS Industrial Networks AB"
        case 161: "Mitsubishi Electric Automation, Inc."
        case 243: "Schneider Electric"
        case 283: "Hilscher GmbH"
        case 356: "Fanuc Robotics America"
        case 674: "Siemens Energy & Automation, Inc."
        default: nil
        }
    }

    public static func deviceType(_ type: UInt16) -> StaticString? {
        switch type {
        case 0x00: "Generic Device (deprecated)"
        case 0x02: "AC Drive"
        case 0x03: "Motor Overload"
        case 0x04: "Limit Switch"
        case 0x05: "Inductive Proximity Switch"
        case 0x07: "General Purpose Discrete I/O"
        case 0x0C: "Communications Adapter"
        case 0x0E: "Programmable Logic Controller"
        case 0x10: "Position Controller"
        case 0x13: "DC Drive"
        case 0x18: "Human-Machine Interface"
        case 0x22: "Managed Ethernet Switch"
        case 0x2B: "Generic Device (keyable)"
        default: nil
        }
    }
}
