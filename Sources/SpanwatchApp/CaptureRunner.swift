import SpanwatchCapture
import SpanwatchFlow
import SpanwatchWire

#if canImport(Glibc)
import Glibc
#endif

/// What a run over files or interfaces counted outside the engine.
public struct CaptureSummary: Sendable {
    public var frames: UInt64 = 0
    /// Files whose reading stopped at damage (truncated or corrupt records).
    public var readErrors: [String] = []
    /// Live capture: each interface's counters, in the order given.
    public var interfaces: [InterfaceStatus] = []
}

/// One live interface: what the kernel counted (carried over reopens), what spanwatch read,
/// and whether it is capturing now.
public struct InterfaceStatus: Sendable {
    public var name: String
    public var kernel = KernelCounters()
    public var packets: UInt64 = 0
    public var capturing = true
    /// Times it failed and was opened again.
    public var reopens: UInt64 = 0
    public init(name: String) { self.name = name }
}

/// Set from signal handlers; the capture loop polls them.
nonisolated(unsafe) var stopRequested: sig_atomic_t = 0
nonisolated(unsafe) var reloadRequested: sig_atomic_t = 0
nonisolated(unsafe) var reopenRequested: sig_atomic_t = 0

/// Feeds captured frames to the engine: files one after another, or live interfaces.
public enum CaptureRunner {
    /// Opens every file first (so a bad one fails before any output), then reads them in order.
    public static func openFiles(_ paths: [String], filter: String?) throws(CaptureError) -> [PcapHandle] {
        var handles = [PcapHandle]()
        for path in paths {
            let handle = try PcapHandle.openOffline(path: path)
            if let filter { try handle.setFilter(filter) }
            handles.append(handle)
        }
        return handles
    }

    /// Reads the files to the end. A record damaged mid-file ends that file with a counted
    /// error; everything before it has been processed.
    public static func runOffline(_ handles: [PcapHandle], processor: PacketProcessor) -> CaptureSummary {
        var summary = CaptureSummary()
        var pcapCount: UInt64 = 0
        for handle in handles {
            let linkType = handle.linkType
            reading: while true {
                let outcome = handle.next { header, bytes in
                    pcapCount += 1
                    let time = header.seconds * 1_000_000 + Int64(header.microseconds)
                    processor.process(bytes, linkType: linkType, wireLength: header.wireLength, timestamp: time, pcapCount: pcapCount)
                }
                switch outcome {
                case .packet, .timeout: continue
                case .end: break reading
                case .error(let message):
                    summary.readErrors.append(message)
                    break reading
                }
            }
        }
        summary.frames = pcapCount
        processor.finish()
        return summary
    }

    /// Live capture on a dedicated thread-like loop (the caller's thread): poll() over every
    /// interface, read what is ready, expire flows on wall time while the link is quiet.
    /// Returns on SIGINT/SIGTERM or after `duration` seconds. SIGUSR2 calls `reload` (between
    /// packets, on the capture loop: the baseline is swapped with no lock and no packet lost).
    public static func runLive(_ interfaces: [String], options: LiveCaptureOptions, filter: String?,
                               processor: PacketProcessor, duration: Double?, packetLimit: UInt64? = nil,
                               everySecond: (([InterfaceStatus]) -> Void)? = nil, notifier: SystemdNotifier? = nil,
                               afterOpen: (() throws(CaptureError) -> Void)? = nil,
                               reopen: (() -> Void)? = nil, reload: (() -> Void)? = nil) throws(CaptureError) -> CaptureSummary {
        func open(_ name: String) throws(CaptureError) -> PcapHandle {
            let handle = try PcapHandle.openLive(interface: name, options: options)
            if let filter { try handle.setFilter(filter) }
            handle.setNonBlocking(true)
            return handle
        }
        // An interface that fails (it went down, its driver was reloaded) is closed and opened
        // again every second until it works; its kernel counters carry over.
        var handles: [PcapHandle?] = []
        for name in interfaces { handles.append(try open(name)) }
        try afterOpen?()  // e.g. drop privileges, now that the interfaces are open
        // Kernel counters of handles already closed are kept here; live ones are added on read.
        var status = interfaces.map(InterfaceStatus.init(name:))
        var lastReopenAttempt = 0.0
        func currentStatus() -> [InterfaceStatus] {
            var out = status
            for (index, handle) in handles.enumerated() {
                out[index].capturing = handle != nil
                if let handle { out[index].kernel.add(handle.refreshKernelCounters()) }
            }
            return out
        }
        installStopHandlers()
        notifier?.notify("READY=1\nSTATUS=capturing on \(interfaces.joined(separator: ", "))")
        defer { notifier?.notify("STOPPING=1") }
        var summary = CaptureSummary()
        var descriptors = handles.map { pollfd(fd: $0?.selectableDescriptor ?? -1, events: Int16(POLLIN), revents: 0) }
        let started = monotonicSeconds()
        var lastStats = started
        var frames: UInt64 = 0
        while stopRequested == 0 {
            if let everySecond, monotonicSeconds() - lastStats >= 1 {
                lastStats = monotonicSeconds()
                everySecond(currentStatus())
            }
            if handles.contains(where: { $0 == nil }) && monotonicSeconds() - lastReopenAttempt >= 1 {
                lastReopenAttempt = monotonicSeconds()
                for index in handles.indices where handles[index] == nil {
                    guard let reopened = try? open(interfaces[index]) else { continue }
                    handles[index] = reopened
                    status[index].reopens += 1
                    descriptors[index].fd = reopened.selectableDescriptor ?? -1
                    writeStandardError("spanwatch: \(interfaces[index]): capturing again\n")
                }
            }
            if let duration, monotonicSeconds() - started >= duration { break }
            if let packetLimit, frames >= packetLimit { break }
            _ = poll(&descriptors, nfds_t(descriptors.count), 100)
            notifier?.pingIfDue(now: monotonicSeconds())
            if reloadRequested != 0 {
                reloadRequested = 0
                reload?()
            }
            if reopenRequested != 0 {
                reopenRequested = 0
                reopen?()
            }
            var any = false
            for (i, slot) in handles.enumerated() {
                guard let handle = slot else { continue }
                let linkType = handle.linkType
                let name = handle.name
                var burst: UInt64 = 0
                defer { status[i].packets += burst }
                while burst < 4096 {
                    let outcome = handle.next { header, bytes in
                        frames += 1
                        let time = header.seconds * 1_000_000 + Int64(header.microseconds)
                        processor.process(bytes, linkType: linkType, wireLength: header.wireLength, timestamp: time, pcapCount: 0, interface: name)
                    }
                    guard outcome == .packet else {
                        if case .error(let message) = outcome {
                            // Close it and try again every second; what it counted is kept.
                            status[i].kernel.add(handle.refreshKernelCounters())
                            handles[i] = nil
                            descriptors[i].fd = -1
                            if summary.readErrors.count < 100 { summary.readErrors.append(message) }
                            writeStandardError("spanwatch: \(message); reopening \(name) every second\n")
                        }
                        break
                    }
                    burst += 1
                    any = true
                }
                descriptors[i].revents = 0
            }
            if !any { processor.advanceClock(to: wallClockMicroseconds()) }
        }
        summary.interfaces = currentStatus()
        summary.frames = frames
        processor.finish()
        return summary
    }

    static func writeStandardError(_ text: String) {
        var text = text
        text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    }

    static func installStopHandlers() {
        stopRequested = 0
        signal(SIGINT) { _ in stopRequested += 1 }
        signal(SIGTERM) { _ in stopRequested += 1 }
        reloadRequested = 0
        signal(SIGUSR2) { _ in reloadRequested = 1 }
        reopenRequested = 0
        signal(SIGHUP) { _ in reopenRequested = 1 }
        // A launcher may hand down a mask that blocks them (a blocked signal stays pending forever).
        var handled = sigset_t()
        sigemptyset(&handled)
        for signal in [SIGINT, SIGTERM, SIGUSR2, SIGHUP] { sigaddset(&handled, signal) }
        pthread_sigmask(SIG_UNBLOCK, &handled, nil)
    }

    /// A second SIGTERM/SIGINT while stopping: cut the drain short (what is left stays spooled).
    static var stopInsisted: Bool { stopRequested >= 2 }

    public static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    static func wallClockMicroseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
    }
}
