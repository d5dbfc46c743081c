import SpanwatchApp
import Testing

@Suite struct TimeoutsSectionTests {
    @Test func durationsByState() throws {
        let config = try configuration("timeouts:\n  new: 30s\n  tcp_established: 2h\n  udp_established: 5m\n  closed: 10\n  interim: 0\n")
        #expect(config.engine.flowTable.newTimeout == 30 && config.engine.flowTable.tcpEstablishedTimeout == 7200)
        #expect(config.engine.flowTable.udpEstablishedTimeout == 300 && config.engine.flowTable.closedTimeout == 10)
        #expect(config.engine.flowTable.interimInterval == 0)  // 0: no interim records
    }

    @Test func aTimeoutIsADuration() {
        #expect(refusal("timeouts:\n  new: 5x\n")?.hasPrefix("f.yaml:3: 'timeouts.new' is not a duration") == true)
        #expect(refusal("timeouts:\n  new: 0\n") != nil)  // only the interim interval may be 0
    }
}
