import Foundation
import SpanwatchFlow
import SpanwatchPolicy

/// What the policy layer does with a baseline.
public enum BaselineUse {
    /// No baseline: zone and detection alerts only.
    case none
    /// Check traffic against it.
    case monitor(Baseline)
    /// Learn (extending `merging`); with a duration, switch to monitoring after that much packet
    /// time and hand the learned baseline to `learned`.
    case learn(merging: Baseline, duration: Timestamp?, learned: (Baseline) -> Void)
}

/// The packet engine with the policy layer between it and the output (`run`, `learn`): alerts
/// flow into the same event stream. `decode` has no policy layer (`withPolicy: false`).
public struct EngineAssembly {
    public let processor: PacketProcessor
    /// Kept here: the processor holds its observer weakly.
    public let policy: PolicyEngine?

    public init(configuration: SpanwatchConfiguration, output: EventSink, withPolicy: Bool = true, baseline: BaselineUse = .none) {
        if !withPolicy {
            processor = PacketProcessor(configuration: configuration.engine, sink: output)
            policy = nil
            return
        }
        let engine = PolicyEngine(policy: configuration.zonePolicy, settings: configuration.policySettings, downstream: output)
        engine.marking = configuration.marking
        // New devices' learning windows (zones with learn_new_devices): their proposal file.
        if let path = configuration.proposalPath, configuration.zonePolicy.zones.contains(where: { $0.learnNewDevices != nil }) {
            if FileManager.default.fileExists(atPath: path) {
                do { engine.existingProposal = try BaselineFile.load(path: path) } catch {
                    StandardError.write("spanwatch: \(error); the new devices' proposal starts afresh\n")
                }
            }
            engine.onProposal = { proposal in
                do { try BaselineFile.write(proposal, to: path) } catch { StandardError.write("spanwatch: \(error)\n") }
            }
        }
        switch baseline {
        case .none: break
        case .monitor(let loaded): engine.monitor(with: loaded)
        case .learn(let existing, let duration, let learned):
            if let duration { engine.learn(for: duration, merging: existing, then: learned) } else { engine.startLearning(merging: existing) }
        }
        processor = PacketProcessor(configuration: configuration.engine, sink: engine)
        processor.observer = engine
        policy = engine
    }
}

/// A sink that keeps nothing (`learn` writes the baseline, not events).
public final class DiscardingSink: EventSink {
    public init() {}
    public func emit(_ context: EventContext, _ body: EventBody) {}
    public func emit<Event: ProtocolEvent>(_ context: EventContext, application event: Event) {}
    public func wants(_ type: EventType) -> Bool { false }
}
