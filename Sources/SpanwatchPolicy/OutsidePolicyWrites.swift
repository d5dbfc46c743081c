import SpanwatchFlow
import SpanwatchWire

/// What a flow outside the plant's policy does. Once a flow has raised its `new_flow` or
/// `zone_violation`, the writes on it are still the heart of the incident (what changed on the
/// controller, what to check on the process), so each one is judged: a write, a program
/// transfer's write or an MQTT publish on such a flow is a `new_operation` of severity 1 naming
/// the function, the addresses or topic, and the values where the decoder keeps them. One alert
/// per flow and operation (function and address range); repeats go to its aggregate records,
/// with the first and latest values. Critical operations alert on every flow anyway
/// (`critical_operation`).
extension PolicyEngine {
    func checkWritesOutsidePolicy<Event: ProtocolEvent>(_ event: Event, flow: Flow, context: EventContext) {
        // Arrays stay empty unless the event names operations (this runs only on flows outside
        // the policy, never on the plant's own).
        var described: [String] = []
        var keys: [String] = []
        var all: [String] = []
        event.visitOperations(direction: context.direction) { operation in
            all.append(operation.keyText)
            guard operation.isWrite || operation.isRangedWrite else { return }
            described.append(operation.humanText)
            keys.append(operation.keyText)
        }
        guard !keys.isEmpty else { return }
        let edge = EdgeKey(flow)
        let unknownHost = monitor.map { $0.baseline.hosts[flow.clientIP] == nil } ?? false
        let why = monitor != nil && flow.baselineEdge < 0 ? "a flow outside the baseline" : "a flow no conduit allows"
        raise(AlertEvent(kind: .newOperation, severity: 1, signatureID: 9_000_015,
                         signature: "SPANWATCH write on \(why): \(describe(flow.clientIP)) -> \(describe(flow.serverIP)) \(edge.service) "
                            + described.joined(separator: ", ")
                            + (event.writtenValues.map { ", values \($0)" } ?? "")
                            + (unknownHost ? "; \(flow.clientIP) is not in the baseline" : ""),
                         category: "Attempted Administrator Privilege Gain", technique: ("T0855", "Unauthorized Command Message"),
                         baselineKey: "edge \(edge) | " + all.joined(separator: " | "),
                         fromZone: policy.zone(of: flow.clientIP)?.name, toZone: policy.zone(of: flow.serverIP)?.name,
                         evidence: .application(event)).withValues(event.writtenValues),
              key: "write_outside_policy|\(flow.id)|" + keys.joined(separator: "|"), context: context,
              values: { event.writtenValues })
    }
}

extension AlertEvent {
    func withValues(_ values: String?) -> AlertEvent {
        var alert = self
        alert.values = values
        return alert
    }
}
