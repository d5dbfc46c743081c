import SpanwatchFlow
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Prometheus metrics (`/metrics`), liveness (`/healthz`) and readiness (`/readyz`) on a small
/// HTTP/1.0 server with its own thread. The capture loop publishes a snapshot of its counters
/// about once a second (`publish`); scrapes read the snapshot, so nothing is counted twice and
/// nothing is called per packet.
public final class MetricsServer: @unchecked Sendable {
    struct Snapshot {
        var stats: StatsEvent? = nil
        var capturing = false
        /// Why the sensor is not ready (outputs behind, receivers away); empty when it is.
        var problems: [String] = []
    }

    let state = Mutex<(snapshot: Snapshot, stopping: Bool, scrapes: UInt64)>((Snapshot(), false, 0))
    let listener: Int32
    public let port: UInt16
    private var thread: pthread_t? = nil

    /// Binds `host:port` (port 0: any free port, see `port`).
    public init(host: String, port: UInt16) throws(ConfigurationError) {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(port.bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            throw ConfigurationError("metrics.listen: '\(host)' is not an IPv4 address")
        }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            let problem = String(cString: strerror(errno))
            close(fd)
            throw ConfigurationError("metrics.listen: cannot listen on \(host):\(port): \(problem)")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        listener = fd
        self.port = UInt16(bigEndian: actual.sin_port)
    }

    /// The capture loop's counters, about once a second.
    public func publish(_ stats: StatsEvent, capturing: Bool, problems: [String]) {
        state.withLock { $0.snapshot = Snapshot(stats: stats, capturing: capturing, problems: problems) }
    }

    public func start() {
        let box = Unmanaged.passRetained(self)
        var handle = pthread_t()
        pthread_create(&handle, nil, { argument in
            Unmanaged<MetricsServer>.fromOpaque(argument!).takeRetainedValue().serve()
            return nil
        }, box.toOpaque())
        thread = handle
    }

    public func stop() {
        state.withLock { $0.stopping = true }
        if let thread { pthread_join(thread, nil) }
        thread = nil
        close(listener)
    }

    private func serve() {
        while !state.withLock({ $0.stopping }) {
            var entry = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&entry, 1, 100) > 0 else { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            var timeout = timeval(tv_sec: 2, tv_usec: 0)
            setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var request = [UInt8](repeating: 0, count: 2048)
            let got = request.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            let line = got > 0 ? String(decoding: request[0..<got].prefix { $0 != 13 && $0 != 10 }, as: UTF8.self) : ""
            let parts = line.split(separator: " ")
            let (status, type, body) = respond(method: parts.first.map(String.init) ?? "", path: parts.count > 1 ? String(parts[1]) : "")
            let head = "HTTP/1.0 \(status)\r\nContent-Type: \(type)\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n"
            let bytes = Array((head + body).utf8)
            _ = bytes.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            close(client)
        }
    }

    func respond(method: String, path: String) -> (String, String, String) {
        guard method == "GET" else { return ("405 Method Not Allowed", "text/plain", "GET only\n") }
        let (snapshot, scrapes) = state.withLock { state -> (Snapshot, UInt64) in
            state.scrapes += 1
            return (state.snapshot, state.scrapes)
        }
        switch path {
        case "/metrics":
            return ("200 OK", "text/plain; version=0.0.4; charset=utf-8", MetricsServer.exposition(snapshot, scrapes: scrapes))
        case "/healthz":
            return ("200 OK", "text/plain", "ok\n")
        case "/readyz":
            // Ready: capturing on every interface, each spool below 90 % of its cap, each SIEM connected.
            var problems = snapshot.problems
            if !snapshot.capturing { problems.insert("not capturing", at: 0) }
            return problems.isEmpty ? ("200 OK", "text/plain", "ready\n") : ("503 Service Unavailable", "text/plain", problems.joined(separator: ", ") + "\n")
        default:
            return ("404 Not Found", "text/plain", "/metrics, /healthz, /readyz\n")
        }
    }

    /// Gauges (values that go down), by section and name; everything else is a counter.
    static let gauges: Set<String> = ["flow_active", "flow_peak_active", "capture_up", "output_pending_bytes", "output_oldest_pending_seconds",
                                      "output_connected", "output_held_alerts", "maintenance_windows_pending", "maintenance_windows_open",
                                      "maintenance_windows_expired", "maintenance_window_open", "maintenance_window_expired",
                                      "mutes_rules_active", "mutes_rules_expired", "mutes_rule_active"]

    /// The Prometheus text format (0.0.4): `spanwatch_<section>_<name>`, counters with `_total`.
    /// A section's breakdown becomes a label (`{interface="eth0"}`); a total that the breakdown
    /// also gives is left out, so that `sum()` over the label is the total.
    static func exposition(_ snapshot: Snapshot, scrapes: UInt64) -> String {
        var out = ""
        for section in snapshot.stats?.sections ?? [] {
            var families: [(name: String, samples: [(labels: String, value: UInt64)])] = []
            var position: [String: Int] = [:]
            func add(_ entry: StaticString, _ labels: String, _ value: UInt64) {
                let base = "\(section.name)_\(entry)"
                if let index = position[base] {
                    families[index].samples.append((labels, value))
                } else {
                    position[base] = families.count
                    families.append((base, [(labels, value)]))
                }
            }
            var brokenDown: Set<String> = []
            for instance in section.breakdown?.instances ?? [] {
                for entry in instance.values { brokenDown.insert(entry.name.description) }
            }
            for entry in section.values where !brokenDown.contains(entry.name.description) { add(entry.name, "", entry.value) }
            if let breakdown = section.breakdown {
                for instance in breakdown.instances {
                    let labels = "{\(breakdown.label)=\"\(labelValue(instance.name))\"}"
                    for entry in instance.values { add(entry.name, labels, entry.value) }
                }
            }
            for family in families {
                let gauge = gauges.contains(family.name)
                let name = "spanwatch_" + family.name + (gauge ? "" : "_total")
                out += "# TYPE \(name) \(gauge ? "gauge" : "counter")\n"
                for sample in family.samples { out += "\(name)\(sample.labels) \(sample.value)\n" }
            }
        }
        if let uptime = snapshot.stats?.uptime { out += "# TYPE spanwatch_uptime_seconds gauge\nspanwatch_uptime_seconds \(uptime)\n" }
        out += "# TYPE spanwatch_up gauge\nspanwatch_up \(snapshot.capturing ? 1 : 0)\n"
        out += "# TYPE spanwatch_build_info gauge\nspanwatch_build_info{version=\"\(labelValue(SpanwatchVersion.string))\"} 1\n"
        out += "# TYPE spanwatch_metrics_scrapes_total counter\nspanwatch_metrics_scrapes_total \(scrapes)\n"
        return out
    }

    /// A label value escaped as the exposition format asks: backslash, double quote, newline.
    static func labelValue(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }
}
