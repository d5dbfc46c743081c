import ArgumentParser
import SpanwatchApp

#if canImport(Glibc)
import Glibc
#endif

// `spanwatch -T -c FILE` is Suricata's spelling of check-config.
var arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "-T" { arguments[0] = "check-config" }

do {
    var command = try Spanwatch.parseAsRoot(arguments)
    try command.run()
} catch let error as CleanExit {
    Spanwatch.exit(withError: error)
} catch let error as ExitCode {
    exit(error.rawValue)
} catch {
    let code = Spanwatch.exitCode(for: error)
    if code == .success {
        Spanwatch.exit(withError: error)
    }
    // Usage errors exit 2 (CONTRACT.md §1), as tcpdump and Suricata do.
    StandardError.write(Spanwatch.fullMessage(for: error) + "\n")
    exit(code == .validationFailure ? 2 : code.rawValue)
}
