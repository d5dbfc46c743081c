import SpanwatchProtocols
import SpanwatchOutput
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Reconnecting to a receiver that refuses: attempts back off exponentially with jitter up to
/// the cap, so a sensor whose SIEM is away neither spins (a loop without the wait would try
/// thousands of times) nor floods; and it stops when told.
@Suite struct SyslogForwarderTests {
    /// A loopback port with nobody listening (bound, then closed).
    static func refusingPort() -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return UInt16(bigEndian: address.sin_port)
    }

    @Test func attemptsBackOffToTheCap() throws {
        let path = SpoolTests.directory("backoff")
        defer { SpoolTests.removeDirectory(path) }
        let spool = try Spool(directory: path, maximumBytes: 1 << 20)
        #expect(SpoolTests.append(spool, SpoolTests.record(1), .alert))
        // Base 50 ms, cap 400 ms: over 3 s, a forwarder that did not wait would try thousands of
        // times; one that waits a random share of 50, 100, 200, 400, 400 ... ms tries a few dozen.
        let forwarder = try SyslogForwarder(host: "127.0.0.1", port: Self.refusingPort(), spool: spool, backoffBase: 0.05, backoffCap: 0.4)
        forwarder.start()
        usleep(3_000_000)
        let failures = forwarder.counters.failures
        forwarder.stop(drainSeconds: 0)
        #expect(failures >= 6 && failures <= 80, "\(failures) attempts in 3 s")
        #expect(forwarder.counters.delivered == 0 && spool.pendingBytes > 0)
        #expect(forwarder.counters.lastError == "Connection refused")
    }
}
