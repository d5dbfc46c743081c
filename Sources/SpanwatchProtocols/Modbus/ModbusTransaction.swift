import SpanwatchJSON
import SpanwatchFlow
import SpanwatchWire

/// One Modbus transaction: the request, the response, or both when paired by transaction id.
public struct ModbusTransaction: Sendable {
    public var request: ModbusPDU?
    public var response: ModbusPDU?
    /// FC 43/14 device identification objects from the response.
    public var deviceIdentification: ModbusDeviceIdentification?
    /// A response whose request was never seen (Suricata's unsolicited response).
    public var unmatchedResponse: Bool { request == nil && response != nil }
    /// Per-flow transaction counter (EVE `tx_id`).
    public var transactionIndex: UInt64 = 0
    /// Request-to-response time in microseconds, when both were seen.
    public var latency: Int64?
}
