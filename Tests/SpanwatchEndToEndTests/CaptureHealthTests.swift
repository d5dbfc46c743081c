import SpanwatchProtocols
import SpanwatchApp
import SpanwatchCapture
import SpanwatchFlow
import Testing

/// What makes `/readyz` say the sensor is partly blind: kernel drops within the last minute,
/// and Zeek's capture-loss estimate (ACKs of data never captured) above 10 % of the ACKs.
@Suite struct CaptureHealthTests {
    @Test func kernelDropsAreNamedForAMinute() {
        let health = CaptureHealth()
        var eth1 = InterfaceStatus(name: "eth1")
        let quiet = EngineCounters()
        #expect(health.problems([eth1], engine: quiet, now: 0).isEmpty)
        eth1.kernel.drops = 3
        #expect(health.problems([eth1], engine: quiet, now: 10) == ["eth1: the kernel dropped packets in the last 60 s"])
        #expect(health.problems([eth1], engine: quiet, now: 69).count == 1)  // no new drops, still within the minute
        #expect(health.problems([eth1], engine: quiet, now: 70).isEmpty)
        eth1.kernel.interfaceDrops = 1  // the NIC's drops count too
        #expect(health.problems([eth1], engine: quiet, now: 71).count == 1)
    }

    @Test func upstreamLossPastTenPercentIsNamed() {
        let health = CaptureHealth()
        var engine = EngineCounters()
        var problems: [String] = []
        // A minute of 100 ACKs a second, 5 of them for data never seen: 5 %, below the threshold.
        for second in 0...60 {
            engine.acknowledgements += 100
            engine.acknowledgedUnseen += 5
            problems = health.problems([], engine: engine, now: Double(second))
            #expect(problems.isEmpty, "second \(second)")
        }
        // Then the switch starts dropping: 30 of 100. The window crosses 10 % within seconds.
        for second in 61...121 {
            engine.acknowledgements += 100
            engine.acknowledgedUnseen += 30
            problems = health.problems([], engine: engine, now: Double(second))
        }
        #expect(problems == ["capture loss: 30 % of TCP acknowledgements in the last 60 s were for data never captured"])
        // Too few ACKs to judge: nothing said, whatever the share.
        let sparse = CaptureHealth()
        var few = EngineCounters()
        for second in 0...60 {
            if second % 10 == 0 {
                few.acknowledgements += 10
                few.acknowledgedUnseen += 9
            }
            #expect(sparse.problems([], engine: few, now: Double(second)).isEmpty)
        }
    }
}
