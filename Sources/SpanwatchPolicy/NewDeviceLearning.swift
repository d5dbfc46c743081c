import SpanwatchFlow
import SpanwatchWire

/// A learning window for new devices, per zone (`learn_new_devices: 7d`), for zones where devices
/// come and go (IoT). A host first seen there while monitoring gets the window: instead of
/// `new_host`, `new_flow` and `new_operation`, its flows and operations become entries of a
/// baseline proposal (written for review, never merged by itself: `baseline diff` and `approve`
/// take it from there). Critical operations and zone violations still alert. When the window
/// ends the proposal is written, and a device nobody approved is a `new_host` again.
extension PolicyEngine {
    /// Whether the address is a new device in its window at `time`.
    func isLearningDevice(_ address: IPAddress, at time: Timestamp) -> Bool {
        guard let end = learningDevices[address] else { return false }
        return time < end
    }

    /// A host not in the baseline appeared: if its zone learns new devices, its window starts (or
    /// goes on) and no `new_host` is raised. A window that has ended does not start again.
    func startLearningDevice(_ address: IPAddress, context: EventContext) -> Bool {
        if let end = learningDevices[address] { return context.timestamp < end }
        guard let window = policy.zone(of: address)?.learnNewDevices else { return false }
        guard learningDevices.count < PolicyEngine.maximumLearningDevices else {
            counters.newDevicesDropped += 1
            return false
        }
        learningDevices[address] = context.timestamp + window
        counters.newDevicesLearning += 1
        if proposal == nil { proposal = BaselineLearner(merging: existingProposal, zonePolicy: policy) }
        proposal?.learnHost(address, mac: nil, role: nil, at: context.timestamp)
        return true
    }

    /// A flow with a learning device at either end: its hosts and edge go to the proposal.
    func propose(_ flow: Flow, context: EventContext) {
        guard let proposal else { return }
        flow.learningNewDevice = true
        counters.proposed += 1
        proposal.learnFlow(flow, at: context.timestamp)
        if PolicyEngine.isAnswered(flow) { proposal.learnServer(flow, at: context.timestamp) }
        proposal.clock(context.timestamp)
    }

    /// Windows that ended by `time`: the devices leave the table (kept as ended, so they alert
    /// as new hosts from now on) and the proposal is written.
    func endLearningWindows(at time: Timestamp) {
        var ended = false
        for (_, end) in learningDevices where end <= time && end > (lastWindowCheck ?? Timestamp.min) { ended = true }
        lastWindowCheck = time
        if ended, let proposal { onProposal?(proposal.finish()) }
    }
}
