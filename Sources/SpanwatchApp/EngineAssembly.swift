import SpanwatchFlow
import SpanwatchPolicy

/// The packet engine with the policy layer between it and the output, when the configuration
/// declares zones: alerts then flow into the same event stream.
public struct EngineAssembly {
    public let processor: PacketProcessor
    /// Kept here: the processor holds its observer weakly.
    public let policy: PolicyEngine?

    public init(configuration: SpanwatchConfiguration, output: EventSink) {
        if configuration.zonePolicy.isEmpty {
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
