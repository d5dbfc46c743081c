#if canImport(Glibc)
import Glibc
#endif

/// A command that cannot go on: a configuration or input error, said in one line. The CLI
/// prints it as `spanwatch: <description>` and exits 1.
public struct CommandFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Diagnostics for the operator (stdout carries events).
public enum StandardError {
    public static func write(_ text: String) {
        var text = text
        text.withUTF8 { _ = Glibc.write(2, $0.baseAddress, $0.count) }
    }
}
