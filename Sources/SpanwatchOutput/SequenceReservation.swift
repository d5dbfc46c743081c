#if canImport(Glibc)
import Glibc
#endif

/// `spanwatch.seq` across restarts: numbers are reserved on disk in blocks, ahead of use, so a
/// sensor killed with `kill -9` restarts after the last reserved number and never reuses one (a
/// gap of at most a block marks the restart). The SIEM can trust (sensor, seq) as an event's id.
public final class SequenceReservation {
    public static let block: UInt64 = 10_000
    let path: String
    /// The first number of this run.
    public let first: UInt64
    public private(set) var reservedUntil: UInt64

    public init(path: String) throws(OutputError) {
        self.path = path
        var stored: UInt64 = 0
        if let file = fopen(path, "r") {
            var line = [CChar](repeating: 0, count: 32)
            if fgets(&line, 32, file) != nil { stored = UInt64(textOf(line).split(separator: "\n").first ?? "") ?? 0 }
            fclose(file)
        }
        first = stored + 1
        reservedUntil = stored
        guard write(stored + SequenceReservation.block) else {
            throw OutputError("\(path): cannot reserve sequence numbers: \(String(cString: strerror(errno)))")
        }
    }

    /// Reserves the next block (when `seq` passes the reserved one); returns the new limit.
    public func extend() -> UInt64 {
        _ = write(reservedUntil + SequenceReservation.block)
        return reservedUntil
    }

    private func write(_ value: UInt64) -> Bool {
        let temporary = path + ".tmp"
        let text = Array("\(value)\n".utf8)
        let file = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard file >= 0 else { return false }
        let written = text.withUnsafeBytes { Glibc.write(file, $0.baseAddress, $0.count) }
        fsync(file)
        close(file)
        guard written == text.count, rename(temporary, path) == 0 else { return false }
        reservedUntil = value
        return true
    }
}
