import ArgumentParser
import Foundation
import SpanwatchApp
import SpanwatchPolicy

/// `spanwatch baseline show|diff|approve`: read and edit a baseline without a YAML editor.
struct BaselineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baseline",
        abstract: "Inspect and edit a baseline: show it, diff two, approve what an alert names into it.",
        subcommands: [Show.self, Diff.self, Approve.self]
    )

    static func load(_ path: String) throws -> Baseline {
        do { return try BaselineFile.load(path: path) } catch { throw fail(error.description) }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a baseline as one key per line (or, with --yaml, as normalized YAML).")

        @Argument(help: "Baseline file.")
        var file: String

        @Flag(name: .long, help: "Print the normalized YAML instead of key lines.")
        var yaml = false

        func run() throws {
            let baseline = try BaselineCommand.load(file)
            if yaml {
                print(BaselineFile.render(baseline), terminator: "")
                return
            }
            print("# \(file): \(baseline.summary)")
            for line in baseline.keyLines() { print(line) }
        }
    }

    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "What NEW allows that OLD does not (+), and the reverse (-). Dates and counts are not compared.")

        @Argument(help: "The older baseline.")
        var old: String

        @Argument(help: "The newer baseline.")
        var new: String

        func run() throws {
            for line in BaselineDiff.lines(old: try BaselineCommand.load(old), new: try BaselineCommand.load(new)) { print(line) }
        }
    }

    struct Approve: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add to the baseline exactly the key that alerts name.",
            discussion: """
            Each ITEM is an alert (a JSON line from eve.json), an event id (sensor:seq, looked up in --eve), or - to read \
            alert lines from standard input. --key adds a baseline key given as text. The baseline is rewritten atomically; \
            run reloads it on SIGUSR2.
            """
        )

        @Option(name: .customShort("b"), help: "The baseline file to edit.")
        var baseline: String

        @Option(name: .long, help: "EVE file to find event ids in.")
        var eve: String?

        @Option(name: .long, help: "A baseline key to add, as alerts name it (repeatable).")
        var key: [String] = []

        @Argument(help: "Alert JSON lines, event ids, or - for standard input.")
        var items: [String] = []

        func validate() throws {
            if items.isEmpty && key.isEmpty { throw ValidationError("approve needs an alert line, an event id, - or --key") }
        }

        func run() throws {
            _ = try BaselineCommand.load(baseline)  // a broken file is named before any alert is read
            let keys = try perform { () throws(CommandFailure) in try AlertApproval.keys(items: items, keys: key, eve: eve) }
            for line in try perform({ () throws(CommandFailure) in try AlertApproval.approve(keys, into: baseline) }) { print(line) }
        }
    }
}

/// `spanwatch alerts [FILE]`: the alerts of an EVE file as a table a person reads.
struct Alerts: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the alerts of an EVE JSON file as a readable table.")

    @Argument(help: "EVE file, or - for standard input.")
    var file: String = "-"

    func run() throws {
        let text: String
        if file == "-" {
            var lines: [String] = []
            while let line = readLine() { lines.append(line) }
            text = lines.joined(separator: "\n")
        } else {
            guard let read = try? String(contentsOfFile: file, encoding: .utf8) else { throw fail("\(file): cannot read") }
            text = read
        }
        for line in AlertTable.lines(of: text) { print(line) }
    }
}
