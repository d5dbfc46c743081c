import SpanwatchFlow
import COpenSSL
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// RFC 5424 messages for the spool: `<PRI>1 TIMESTAMP HOSTNAME spanwatch PROCID MSGID - MSG`, the
/// EVE line as MSG (no BOM), MSGID the event type, facility local5 by default; severity from the
/// alert's (1 → crit, 2 → warning, 3 → notice), info for every other event. Built in a reused
/// buffer: no allocation per event.
public final class SyslogEncoder {
    let hostname: [UInt8]
    let processID: [UInt8]
    let facility: Int
    var scratch: [UInt8] = []

    public init(hostname: String, facility: Int = 21) {
        self.hostname = Array(hostname.utf8.prefix(255))
        self.processID = Array(String(getpid()).utf8)
        self.facility = facility
        scratch.reserveCapacity(16 * 1024)
    }

    /// Frames `line` (one EVE line, without its newline) and appends it to the spool.
    @discardableResult
    public func spool(line: UnsafeRawBufferPointer, body: EventBody, timestamp: Int64, into spool: Spool) -> Bool {
        var severity = 6
        var recordClass = Spool.RecordClass.other
        if case .alert(let alert) = body {
            recordClass = .alert
            severity = alert.severity == 1 ? 2 : alert.severity == 2 ? 4 : 5
        } else if case .stats = body {
            recordClass = .alert  // counters and loss records are kept like alerts (the SOC needs the hole)
        }
        return append(line: line, eventType: body.eventType, severity: severity, recordClass: recordClass, timestamp: timestamp, into: spool)
    }

    /// A protocol event's line (informational severity, spooled as an event).
    @discardableResult
    public func spool(line: UnsafeRawBufferPointer, eventType: EventType, timestamp: Int64, into spool: Spool) -> Bool {
        append(line: line, eventType: eventType, severity: 6, recordClass: .other, timestamp: timestamp, into: spool)
    }

    private func append(line: UnsafeRawBufferPointer, eventType: EventType, severity: Int, recordClass: Spool.RecordClass, timestamp: Int64,
                        into spool: Spool) -> Bool {
        scratch.removeAll(keepingCapacity: true)
        scratch.append(UInt8(ascii: "<"))
        appendDecimal(facility * 8 + severity)
        scratch.append(UInt8(ascii: ">"))
        scratch.append(UInt8(ascii: "1"))
        scratch.append(UInt8(ascii: " "))
        // RFC 3339 with Z: the EVE timestamp's first 26 characters (to the microsecond), then Z.
        EveTimestamp.write(microseconds: timestamp) { text in scratch.append(contentsOf: text.prefix(26)) }
        scratch.append(UInt8(ascii: "Z"))
        scratch.append(UInt8(ascii: " "))
        scratch.append(contentsOf: hostname)
        scratch.append(contentsOf: " spanwatch ".utf8)
        scratch.append(contentsOf: processID)
        scratch.append(UInt8(ascii: " "))
        eventType.name.withUTF8Buffer { scratch.append(contentsOf: $0) }
        scratch.append(contentsOf: " - ".utf8)
        scratch.append(contentsOf: line)
        return scratch.withUnsafeBytes { spool.append($0, class: recordClass) }
    }

    private func appendDecimal(_ value: Int) {
        if value >= 100 { scratch.append(UInt8(ascii: "0") + UInt8(value / 100)) }
        if value >= 10 { scratch.append(UInt8(ascii: "0") + UInt8(value / 10 % 10)) }
        scratch.append(UInt8(ascii: "0") + UInt8(value % 10))
    }
}

/// Delivers the spool to a syslog receiver over TCP or TLS (RFC 5425) with octet-counted framing
/// (RFC 6587), on its own thread: capture never waits for the SIEM. At least once, in order: a record counts as
/// delivered only when the kernel says the peer acknowledged every byte sent (SIOCOUTQ is 0);
/// after a broken connection everything since the last such point is sent again, so duplicates
/// are possible and recognisable by `spanwatch.event_id`. Reconnects back off exponentially with
/// full jitter (1 s base, 30 s cap).
public final class SyslogForwarder: @unchecked Sendable {
    public struct Counters: Sendable, Equatable {
        public var delivered: UInt64 = 0
        public var connects: UInt64 = 0
        public var failures: UInt64 = 0
        public var connected = false
        /// The last connection or handshake failure, for operators.
        public var lastError: String? = nil
        public init() {}
    }

    let host: String
    let port: UInt16
    let spool: Spool
    let tls: TLSClient?
    let datagrams: Bool
    private var session: OpaquePointer? = nil
    let backoffBase: Double
    let backoffCap: Double
    let state = Mutex<(stopping: Bool, drainDeadline: Double, counters: Counters, finished: Bool)>((false, 0, Counters(), false))
    private var thread: pthread_t? = nil
    private var descriptor: Int32 = -1

    public init(host: String, port: UInt16, spool: Spool, transport: SyslogTransport = .tcp,
                backoffBase: Double = 1.0, backoffCap: Double = 30.0) throws(OutputError) {
        self.host = host
        self.port = port
        self.spool = spool
        if case .tls(let settings) = transport { tls = try TLSClient(settings, host: host) } else { tls = nil }
        datagrams = transport == .udp
        self.backoffBase = backoffBase
        self.backoffCap = backoffCap
    }

    public var counters: Counters { state.withLock { $0.counters } }

    public func start() {
        let box = Unmanaged.passRetained(self)
        var handle = pthread_t()
        pthread_create(&handle, nil, { argument in
            let forwarder = Unmanaged<SyslogForwarder>.fromOpaque(argument!).takeRetainedValue()
            forwarder.run()
            return nil
        }, box.toOpaque())
        thread = handle
    }

    /// Stops after delivering what is spooled, waiting at most `drainSeconds`; what is left stays
    /// in the spool for the next start.
    public func stop(drainSeconds: Double) {
        requestStop(drainSeconds: drainSeconds)
        join()
    }

    /// The first half of `stop`: several forwarders drain at the same time, then are joined.
    public func requestStop(drainSeconds: Double) {
        state.withLock { $0.stopping = true; $0.drainDeadline = Spool.monotonic() + drainSeconds }
    }

    public func join() {
        if let thread { pthread_join(thread, nil) }
        thread = nil
    }

    private func run() {
        var sendCursor = spool.committed
        var attempt = 0
        while true {
            let (stopping, deadline) = state.withLock { ($0.stopping, $0.drainDeadline) }
            if stopping && (spool.pendingBytes == 0 || Spool.monotonic() >= deadline) { break }
            if descriptor < 0 {
                guard connect() else {
                    attempt += 1
                    state.withLock { $0.counters.failures += 1 }
                    // Full jitter: a random wait up to the exponential step.
                    let step = min(backoffCap, backoffBase * Double(1 << min(attempt - 1, 16)))
                    sleepUnlessStopping(Double.random(in: 0...step), until: deadline)
                    continue
                }
                attempt = 0
                sendCursor = spool.committed
            }
            commitIfAcknowledged(sendCursor)
            if !datagrams && peerClosed() {
                drop(connection: ())
                sendCursor = spool.committed
                continue
            }
            let batch = spool.read(from: sendCursor, maximumBytes: 256 * 1024)
            if batch.isEmpty {
                sleepUnlessStopping(0.02, until: deadline)
                continue
            }
            if datagrams {
                // One message per datagram (RFC 5426); nothing acknowledges, so sent is delivered.
                var sent = 0
                for record in batch {
                    // UDP has no flow control: a short pause every 32 datagrams keeps a burst from
                    // overrunning the receiver's socket buffer (at most 160,000 messages a second).
                    if sent > 0 && sent % 32 == 0 { usleep(200) }
                    if record.payload.isEmpty {  // damaged on disk (counted by the spool): skipped
                        sent += 1
                        continue
                    }
                    let result = record.payload.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                    if result < 0 && errno != EMSGSIZE { break }
                    if result < 0 { state.withLock { $0.counters.failures += 1; $0.counters.lastError = "a record larger than a datagram" } }
                    sent += 1
                }
                if sent > 0 {
                    sendCursor = batch[sent - 1].next
                    spool.commit(sendCursor)
                    let skipped = batch[0..<sent].filter { $0.payload.isEmpty }.count
                    state.withLock { $0.counters.delivered += UInt64(sent - skipped) }
                }
                if sent < batch.count { drop(connection: ()) }
                continue
            }
            var frames: [UInt8] = []
            frames.reserveCapacity(batch.reduce(0) { $0 + $1.payload.count + 8 })
            var skipped = 0
            for record in batch {
                if record.payload.isEmpty {  // damaged on disk (counted by the spool): skipped
                    skipped += 1
                    continue
                }
                frames.append(contentsOf: String(record.payload.count).utf8)
                frames.append(UInt8(ascii: " "))
                frames.append(contentsOf: record.payload)
            }
            if sendAll(frames) {
                sendCursor = batch.last!.next
                state.withLock { $0.counters.delivered += UInt64(batch.count - skipped) }
                commitIfAcknowledged(sendCursor)
            } else {
                drop(connection: ())
                sendCursor = spool.committed  // resend everything not known to have arrived
            }
        }
        commitIfAcknowledged(sendCursor)
        if descriptor >= 0 { closeConnection() }
        state.withLock { $0.finished = true }
    }

    /// The delivery thread has ended (after `requestStop`: drained, or out of time).
    public var finished: Bool { state.withLock { $0.finished } }

    private func closeConnection() {
        if let session {
            SSL_shutdown(session)
            SSL_free(session)
            self.session = nil
        }
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
    }

    private func commitIfAcknowledged(_ cursor: Cursor) {
        guard descriptor >= 0, cursor > spool.committed else { return }
        var unacknowledged: Int32 = 0
        // SIOCOUTQ (TIOCOUTQ): bytes in the send queue not yet acknowledged by the peer.
        guard ioctl(descriptor, 0x5411, &unacknowledged) == 0, unacknowledged == 0 else { return }
        spool.commit(cursor)
    }

    typealias Cursor = Spool.Cursor

    private func connect() -> Bool {
        var hints = addrinfo()
        let kind = datagrams ? Int32(SOCK_DGRAM.rawValue) : Int32(SOCK_STREAM.rawValue)
        hints.ai_socktype = kind
        var result: UnsafeMutablePointer<addrinfo>? = nil
        guard getaddrinfo(host, String(port), &hints, &result) == 0, let first = result else { return false }
        defer { freeaddrinfo(result) }
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            let fd = socket(info.pointee.ai_family, kind | Int32(SOCK_CLOEXEC.rawValue), 0)
            if fd >= 0 {
                var timeout = timeval(tv_sec: 5, tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 {
                    if let tls {
                        // Never plain text when TLS is asked for: no handshake, no connection.
                        var timeout = timeval(tv_sec: 10, tv_usec: 0)
                        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                        let (opened, error) = tls.open(fd)
                        guard let opened else {
                            close(fd)
                            state.withLock { $0.counters.lastError = error }
                            return false
                        }
                        session = opened
                    }
                    descriptor = fd
                    state.withLock { $0.counters.connects += 1; $0.counters.connected = true; $0.counters.lastError = nil }
                    return true
                }
                state.withLock { $0.counters.lastError = String(cString: strerror(errno)) }
                close(fd)
            }
            entry = info.pointee.ai_next
        }
        return false
    }

    private func drop(connection: Void) {
        closeConnection()
        state.withLock { $0.counters.connected = false; $0.counters.failures += 1 }
    }

    /// The receiver hung up (a syslog receiver sends no data: readable means closed, or over
    /// TLS, an alert or close_notify; session tickets are read and leave it open).
    private func peerClosed() -> Bool {
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&entry, 1, 0) > 0 else { return false }
        if entry.revents & Int16(POLLHUP | POLLERR) != 0 { return true }
        if let session {
            let (alive, problem) = TLSClient.readPending(session, descriptor: descriptor)
            if let problem { state.withLock { $0.counters.lastError = problem } }
            return !alive
        }
        var byte: UInt8 = 0
        return recv(descriptor, &byte, 1, Int32(MSG_PEEK) | Int32(MSG_DONTWAIT)) == 0
    }

    private func sendAll(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        if let session {
            return bytes.withUnsafeBytes { raw in
                while offset < raw.count {
                    let sent = SSL_write(session, raw.baseAddress! + offset, Int32(min(raw.count - offset, 1 << 20)))
                    guard sent > 0 else { return false }
                    offset += Int(sent)
                }
                return true
            }
        }
        return bytes.withUnsafeBytes { raw in
            while offset < raw.count {
                let sent = send(descriptor, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if sent < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += sent
            }
            return true
        }
    }

    /// Sleeps (a back-off step, or an idle wait); once stopping, never longer than 0.2 s at a
    /// time, so the drain retries a receiver that came back instead of sleeping through it.
    private func sleepUnlessStopping(_ seconds: Double, until deadline: Double) {
        let started = Spool.monotonic()
        let end = started + seconds
        while Spool.monotonic() < end {
            let (stopping, stopDeadline) = state.withLock { ($0.stopping, $0.drainDeadline) }
            if stopping && (spool.pendingBytes == 0 || Spool.monotonic() >= stopDeadline || Spool.monotonic() - started >= 0.2) { return }
            usleep(useconds_t(min(20_000, max(1000, (end - Spool.monotonic()) * 1e6))))
        }
    }
}
