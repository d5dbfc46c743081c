import SpanwatchFlow
import SpanwatchPolicy

/// The packet engine with the policy layer between it and the output (`run`): alerts flow into
/// the same event stream. `decode` has no policy layer (`withPolicy: false`).
public struct EngineAssembly {
    public let processor: PacketProcessor
    /// Kept here: the processor holds its observer weakly.
    public let policy: PolicyEngine?

    public init(configuration: SpanwatchConfiguration, output: EventSink, withPolicy: Bool = true) {
        if !withPolicy {
            processor = PacketProcessor(configuration: configuration.engine, sink: output)
            policy = nil
        } else {
            let engine = PolicyEngine(policy: configuration.zonePolicy, downstream: output)
            processor = PacketProcessor(configuration: configuration.engine, sink: engine)
            processor.observer = engine
            policy = engine
        }
    }
}
