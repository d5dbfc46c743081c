import SpanwatchFlow

/// Whether the sensor sees what it should, for `/readyz`: an interface whose kernel drop
/// counters rose within the last `window` seconds, and loss upstream of the kernel (a SPAN port
/// that drops in the switch) estimated as Zeek's capture-loss does: of the TCP acknowledgements
/// in the window, the share that acknowledged data never captured, past `lossThreshold` (Zeek's
/// `too_much_loss`, 10 %) once at least `minimumAcknowledgements` were seen.
public final class CaptureHealth {
    let window: Double
    let lossThreshold: Double
    let minimumAcknowledgements: UInt64
    private var drops: [String: (count: UInt64, rose: Double?)] = [:]
    /// (time, acknowledgements, of unseen data), one a second, the window's worth.
    private var samples: [(time: Double, acknowledgements: UInt64, unseen: UInt64)] = []

    public init(window: Double = 60, lossThreshold: Double = 0.10, minimumAcknowledgements: UInt64 = 100) {
        self.window = window
        self.lossThreshold = lossThreshold
        self.minimumAcknowledgements = minimumAcknowledgements
    }

    /// What is wrong now, given this second's counters (called once a second).
    public func problems(_ interfaces: [InterfaceStatus], engine: EngineCounters, now: Double) -> [String] {
        var out: [String] = []
        for interface in interfaces {
            let count = interface.kernel.drops + interface.kernel.interfaceDrops
            var entry = drops[interface.name] ?? (0, nil)
            if count > entry.count { entry.rose = now }
            entry.count = count
            drops[interface.name] = entry
            if let rose = entry.rose, now - rose < window { out.append("\(interface.name): the kernel dropped packets in the last \(Int(window)) s") }
        }
        samples.append((now, engine.acknowledgements, engine.acknowledgedUnseen))
        while let first = samples.first, now - first.time > window { samples.removeFirst() }
        if let first = samples.first {
            let acknowledgements = engine.acknowledgements - first.acknowledgements
            let unseen = engine.acknowledgedUnseen - first.unseen
            if acknowledgements >= minimumAcknowledgements && Double(unseen) > lossThreshold * Double(acknowledgements) {
                let percent = Int((100 * Double(unseen) / Double(acknowledgements)).rounded())
                out.append("capture loss: \(percent) % of TCP acknowledgements in the last \(Int(window)) s were for data never captured")
            }
        }
        return out
    }
}
