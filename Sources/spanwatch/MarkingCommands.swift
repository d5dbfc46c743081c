import ArgumentParser
import SpanwatchApp

/// `spanwatch maintenance add|list`: maintenance windows, declared for work that must not page
/// the SOC (its alerts are still written, marked, at severity 3).
struct MaintenanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "maintenance",
        abstract: "Maintenance windows: add one to the maintenance file, or list the windows in force.",
        subcommands: [Add.self, List.self]
    )

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a maintenance window (checked with the config; the running daemon takes it on SIGUSR2).")

        @Option(name: .shortAndLong, help: "Configuration file (names hosts, zones, conduits and the maintenance file).")
        var config: String
        @Option(name: .long, help: "The window's name (one word).")
        var name: String
        @Option(name: .long, help: "A host: config name, address or block (repeatable).")
        var host: [String] = []
        @Option(name: .long, help: "A zone (repeatable).")
        var zone: [String] = []
        @Option(name: .long, help: "A conduit, 'FROM -> TO' (repeatable).")
        var conduit: [String] = []
        @Option(name: .long, help: "Start, RFC 3339 (default: now).")
        var start: String?
        @Option(name: .long, help: "End, RFC 3339.")
        var end: String?
        @Option(name: .long, help: "Length: 30m, 2h, 1d.")
        var duration: String?
        @Option(name: .long, help: "Why (a change ticket).")
        var reason: String
        @Option(name: .long, help: "Who is responsible.")
        var owner: String

        func validate() throws {
            if (end == nil) == (duration == nil) { throw ValidationError("give one of --end or --duration") }
            if host.isEmpty && zone.isEmpty && conduit.isEmpty { throw ValidationError("give --host, --zone or --conduit") }
        }

        func run() throws {
            var entry = AlertMarkingCommands.WindowEntry(name: name, reason: reason, owner: owner)
            entry.hosts = host
            entry.zones = zone
            entry.conduits = conduit
            entry.start = start
            entry.end = end
            entry.duration = duration
            let path = try perform { () throws(CommandFailure) in try AlertMarkingCommands.addWindow(entry, configPath: config) }
            print("added maintenance window '\(name)' to \(path); a running spanwatch applies it on SIGUSR2 (systemctl reload spanwatch)")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The windows in force (config and maintenance file) and their state now.")

        @Option(name: .shortAndLong, help: "Configuration file.")
        var config: String

        func run() throws {
            for line in try perform({ () throws(CommandFailure) in try AlertMarkingCommands.windowLines(configPath: config) }) { print(line) }
        }
    }
}

/// `spanwatch mutes add|show|diff`: alert patterns muted for a while (still written, marked).
struct MutesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mutes",
        abstract: "Mutes: add one to the mutes file, show a mutes file, diff two.",
        subcommands: [Add.self, Show.self, Diff.self]
    )

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Mute an alert pattern (every field given must match; the running daemon takes it on SIGUSR2).")

        @Option(name: .shortAndLong, help: "Configuration file (names hosts and the mutes file).")
        var config: String
        @Option(name: .long, help: "The mute's name (one word).")
        var name: String
        @Option(name: .long, help: "Alert kind (new_flow, external_dns, ...).")
        var kind: String?
        @Option(name: .long, help: "Source host: config name, address or block.")
        var src: String?
        @Option(name: .long, help: "Destination host: config name, address or block.")
        var dest: String?
        @Option(name: .customLong("protocol"), help: "Application protocol (modbus, dns, ...).")
        var protocolName: String?
        @Option(name: .long, help: "Text the alert's operation names (modbus.function 16, www.facebook.com).")
        var operation: String?
        @Option(name: .long, help: "Expiry, RFC 3339.")
        var expires: String?
        @Option(name: .customLong("for"), help: "Expire this long from now: 12h, 7d.")
        var lasting: String?
        @Option(name: .long, help: "Why.")
        var reason: String
        @Option(name: .long, help: "Who is responsible.")
        var owner: String

        func validate() throws {
            if expires != nil && lasting != nil { throw ValidationError("give --expires or --for, not both") }
        }

        func run() throws {
            var entry = AlertMarkingCommands.MuteEntry(name: name, reason: reason, owner: owner)
            entry.kind = kind
            entry.source = src
            entry.destination = dest
            entry.protocolName = protocolName
            entry.operation = operation
            entry.expires = expires
            entry.lasting = lasting
            let path = try perform { () throws(CommandFailure) in try AlertMarkingCommands.addMute(entry, configPath: config) }
            print("added mute '\(name)' to \(path); a running spanwatch applies it on SIGUSR2 (systemctl reload spanwatch)")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A mutes file, one rule per line: name | kind | src | dest | protocol | operation | expires | reason | owner.")

        @Argument(help: "Mutes file.")
        var file: String
        @Option(name: .shortAndLong, help: "Configuration file (to read host names).")
        var config: String?

        func run() throws {
            for line in try perform({ () throws(CommandFailure) in try AlertMarkingCommands.muteLines(path: file, configPath: config) }) { print(line) }
        }
    }

    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Rules NEW has that OLD has not (+), and the reverse (-).")

        @Argument(help: "The older mutes file.")
        var old: String
        @Argument(help: "The newer mutes file.")
        var new: String
        @Option(name: .shortAndLong, help: "Configuration file (to read host names).")
        var config: String?

        func run() throws {
            for line in try perform({ () throws(CommandFailure) in try AlertMarkingCommands.muteDiff(old: old, new: new, configPath: config) }) { print(line) }
        }
    }
}
