#if canImport(Glibc)
import Glibc
#endif

/// systemd's notify protocol (sd_notify(3)) without libsystemd: datagrams to `$NOTIFY_SOCKET`.
/// `READY=1` once capture is open, `WATCHDOG=1` from the capture loop at half of
/// `$WATCHDOG_USEC` (so a stuck loop is restarted by systemd), `STOPPING=1` on the way out.
/// Without `$NOTIFY_SOCKET` (not under systemd) every call does nothing.
public final class SystemdNotifier {
    let address: sockaddr_un?
    let addressLength: socklen_t
    let descriptor: Int32
    /// Seconds between watchdog pings, when systemd asked for them.
    public let watchdogInterval: Double?
    private var lastPing = 0.0

    public init(environment: [String: String] = SystemdNotifier.processEnvironment()) {
        if let watchdog = environment["WATCHDOG_USEC"].flatMap(Double.init), watchdog > 0 {
            watchdogInterval = watchdog / 2_000_000
        } else {
            watchdogInterval = nil
        }
        guard let path = environment["NOTIFY_SOCKET"], !path.isEmpty, path.utf8.count < 108 else {
            address = nil
            addressLength = 0
            descriptor = -1
            return
        }
        var socketAddress = sockaddr_un()
        socketAddress.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }  // an abstract socket
        withUnsafeMutableBytes(of: &socketAddress.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        address = socketAddress
        addressLength = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    }

    deinit { if descriptor >= 0 { close(descriptor) } }

    public var enabled: Bool { descriptor >= 0 }

    public func notify(_ state: String) {
        guard descriptor >= 0, var target = address else { return }
        let bytes = Array(state.utf8)
        _ = withUnsafePointer(to: &target) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bytes.withUnsafeBytes { sendto(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), socketAddress, addressLength) }
            }
        }
    }

    /// From the capture loop: a watchdog ping when one is due.
    public func pingIfDue(now: Double) {
        guard let interval = watchdogInterval, now - lastPing >= interval else { return }
        lastPing = now
        notify("WATCHDOG=1")
    }

    public static func processEnvironment() -> [String: String] {
        var out: [String: String] = [:]
        for key in ["NOTIFY_SOCKET", "WATCHDOG_USEC"] {
            if let value = getenv(key) { out[key] = String(decoding: UnsafeRawBufferPointer(start: value, count: strlen(value)), as: UTF8.self) }
        }
        return out
    }
}
