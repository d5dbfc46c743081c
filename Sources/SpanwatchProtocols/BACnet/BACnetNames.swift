/// Names of BACnet codes (ANSI/ASHRAE 135 clause 21), for the EVE object and the baseline file.
public enum BACnetNames {
    public static func bvlcFunction(_ code: UInt8) -> StaticString? {
        switch code {
        case 0x00: "BVLC-Result"
        case 0x01: "Write-Broadcast-Distribution-Table"
        case 0x02: "Read-Broadcast-Distribution-Table"
        case 0x03: "Read-Broadcast-Distribution-Table-Ack"
        case 0x04: "Forwarded-NPDU"
        case 0x05: "Register-Foreign-Device"
        case 0x06: "Read-Foreign-Device-Table"
        case 0x07: "Read-Foreign-Device-Table-Ack"
        case 0x08: "Delete-Foreign-Device-Table-Entry"
        case 0x09: "Distribute-Broadcast-To-Network"
        case 0x0A: "Original-Unicast-NPDU"
        case 0x0B: "Original-Broadcast-NPDU"
        case 0x0C: "Secure-BVLL"
        default: nil
        }
    }

    public static func apduType(_ type: UInt8) -> StaticString? {
        switch type {
        case 0: "confirmed_request"
        case 1: "unconfirmed_request"
        case 2: "simple_ack"
        case 3: "complex_ack"
        case 4: "segment_ack"
        case 5: "error"
        case 6: "reject"
        case 7: "abort"
        default: nil
        }
    }

    public static func confirmedService(_ code: UInt8) -> StaticString? {
        switch code {
        case 0: "acknowledge-alarm"
        case 1: "confirmed-cov-notification"
        case 2: "confirmed-event-notification"
        case 3: "get-alarm-summary"
        case 4: "get-enrollment-summary"
        case 5: "subscribe-cov"
        case 6: "atomic-read-file"
        case 7: "atomic-write-file"
        case 8: "add-list-element"
        case 9: "remove-list-element"
        case 10: "create-object"
        case 11: "delete-object"
        case 12: "read-property"
        case 14: "read-property-multiple"
        case 15: "write-property"
        case 16: "write-property-multiple"
        case 17: "device-communication-control"
        case 18: "confirmed-private-transfer"
        case 19: "confirmed-text-message"
        case 20: "reinitialize-device"
        case 21: "vt-open"
        case 22: "vt-close"
        case 23: "vt-data"
        case 26: "read-range"
        case 27: "life-safety-operation"
        case 28: "subscribe-cov-property"
        case 29: "get-event-information"
        case 30: "subscribe-cov-property-multiple"
        case 31: "confirmed-cov-notification-multiple"
        case 32: "confirmed-audit-notification"
        case 33: "audit-log-query"
        default: nil
        }
    }

    public static func unconfirmedService(_ code: UInt8) -> StaticString? {
        switch code {
        case 0: "i-am"
        case 1: "i-have"
        case 2: "unconfirmed-cov-notification"
        case 3: "unconfirmed-event-notification"
        case 4: "unconfirmed-private-transfer"
        case 5: "unconfirmed-text-message"
        case 6: "time-synchronization"
        case 7: "who-has"
        case 8: "who-is"
        case 9: "utc-time-synchronization"
        case 10: "write-group"
        case 11: "unconfirmed-cov-notification-multiple"
        case 12: "unconfirmed-audit-notification"
        case 13: "who-am-i"
        case 14: "you-are"
        default: nil
        }
    }

    /// The service name of an APDU: confirmed services for confirmed requests and their answers.
    public static func service(_ code: UInt8, apduType: UInt8) -> StaticString? {
        apduType == 1 ? unconfirmedService(code) : confirmedService(code)
    }

    public static func objectType(_ code: UInt16) -> StaticString? {
        switch code {
        case 0: "analog-input"
        case 1: "analog-output"
        case 2: "analog-value"
        case 3: "binary-input"
        case 4: "binary-output"
        case 5: "binary-value"
        case 6: "calendar"
        case 7: "command"
        case 8: "device"
        case 9: "event-enrollment"
        case 10: "file"
        case 11: "group"
        case 12: "loop"
        case 13: "multi-state-input"
        case 14: "multi-state-output"
        case 15: "notification-class"
        case 16: "program"
        case 17: "schedule"
        case 18: "averaging"
        case 19: "multi-state-value"
        case 20: "trend-log"
        case 21: "life-safety-point"
        case 22: "life-safety-zone"
        case 23: "accumulator"
        case 24: "pulse-converter"
        case 25: "event-log"
        case 26: "global-group"
        case 27: "trend-log-multiple"
        case 28: "load-control"
        case 29: "structured-view"
        case 30: "access-door"
        default: nil
        }
    }

    public static func property(_ code: UInt32) -> StaticString? {
        switch code {
        case 12: "application-software-version"
        case 28: "description"
        case 44: "firmware-revision"
        case 62: "max-apdu-length-accepted"
        case 70: "model-name"
        case 75: "object-identifier"
        case 76: "object-list"
        case 77: "object-name"
        case 79: "object-type"
        case 85: "present-value"
        case 87: "priority-array"
        case 96: "protocol-services-supported"
        case 97: "protocol-object-types-supported"
        case 98: "protocol-version"
        case 103: "reliability"
        case 111: "status-flags"
        case 112: "system-status"
        case 117: "units"
        case 120: "vendor-identifier"
        case 121: "vendor-name"
        case 139: "protocol-revision"
        default: nil
        }
    }
}
