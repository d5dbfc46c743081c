import SpanwatchApp
import Testing

@Suite struct MetricsSectionTests {
    @Test func listenIsIPv4AndPort() throws {
        let listen = try configuration("metrics:\n  listen: 127.0.0.1:9911\n").metricsListen
        #expect(listen?.host == "127.0.0.1" && listen?.port == 9911)
        #expect(refusal("metrics:\n  listen: localhost:9911\n")?.contains("'metrics.listen' must be IPv4:PORT") == true)
        #expect(refusal("metrics:\n  listen: \"[::1]:9911\"\n") != nil)
    }
}
