import SpanwatchApp
import SpanwatchPolicy
import Testing

@Suite struct PolicySectionTests {
    @Test func hostsAllowedOperationsAlertsAndBaseline() throws {
        let text = """
        zones:
          - name: control
            cidrs: [10.10.2.0/24]
        hosts:
          - address: 10.30.1.5
            name: eng-ws-1
        allowed_operations:
          - from: [eng-ws-1]
            to: [control]
            operations: [program_download]
        alerts:
          aggregate_interval: 60
          rate_limit: 100
        baseline:
          path: /tmp/b.yaml
          mode: learn
          learn_for: 1h

        """
        let config = try configuration(text)
        #expect(config.policySettings.hosts.map(\.name) == ["eng-ws-1"])
        #expect(config.policySettings.allowedOperations.first?.to.map(\.description) == ["10.10.2.0/24"])  // the zone's blocks
        #expect(config.policySettings.alerts.aggregateInterval == 60_000_000 && config.policySettings.alerts.ratePerMinute == 100)
        #expect(config.learnMode && config.baselinePath == "/tmp/b.yaml" && config.learnFor == 3_600_000_000)
    }

    @Test func namesThatMeanNothingAreRefused() {
        #expect(refusal("allowed_operations:\n  - from: [nobody]\n    to: [10.0.0.1]\n    operations: [restart]\n")?
            .contains("names 'nobody', which is no host name, zone or address block") == true)
        #expect(refusal("allowed_operations:\n  - from: [10.0.0.2]\n    to: [10.0.0.1]\n    operations: [reboot]\n")?
            .contains("has an unknown operation 'reboot'") == true)
        #expect(refusal("baseline:\n  mode: learn\n")?.contains("'baseline.mode: learn' needs 'baseline.path'") == true)
    }
}
