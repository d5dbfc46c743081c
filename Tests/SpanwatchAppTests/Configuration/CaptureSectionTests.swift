import SpanwatchApp
import Testing

@Suite struct CaptureSectionTests {
    @Test func interfacesSnapLengthBufferAndFilter() throws {
        let config = try configuration("capture:\n  interfaces: [eth1, eth2]\n  snaplen: 1600\n  buffer_size: 128MiB\n  promiscuous: false\n  bpf: \"tcp port 502\"\n")
        #expect(config.interfaces == ["eth1", "eth2"] && config.snapLength == 1600 && config.bufferSize == 128 << 20)
        #expect(!config.promiscuous && config.bpf == "tcp port 502")
        #expect(try configuration("capture:\n  bpf: \"\"\n").bpf == nil)  // empty: no filter
    }

    @Test func snapLengthIsBounded() {
        #expect(refusal("capture:\n  snaplen: 10\n")?.contains("'capture.snaplen' must be between 64 and 262144") == true)
        #expect(refusal("capture:\n  snaplen: 99999999\n") != nil)
        #expect(refusal("capture:\n  buffer_size: big\n")?.contains("'capture.buffer_size' is not a size") == true)
    }
}
