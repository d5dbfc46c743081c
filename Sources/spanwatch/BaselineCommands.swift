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
            let before = Set(try BaselineCommand.load(old).keyLines())
            let after = Set(try BaselineCommand.load(new).keyLines())
            var removed = before.subtracting(after).sorted()
            var added = after.subtracting(before).sorted()
            // A value that changed (a polling cycle, an identity field) is one `~` line, not - and +.
            var changed: [String] = []
            for line in removed {
                guard let stem = Diff.stem(line), let index = added.firstIndex(where: { Diff.stem($0) == stem }) else { continue }
                changed.append("~ \(line) -> \(added[index].dropFirst(stem.count).trimmingPrefix(" "))")
                added.remove(at: index)
                removed.removeAll { $0 == line }
            }
            if removed.isEmpty && added.isEmpty && changed.isEmpty {
                print("no differences")
                return
            }
            for line in removed { print("- \(line)") }
            for line in changed { print(line) }
            for line in added { print("+ \(line)") }
            print("# \(added.count) added, \(changed.count) changed, \(removed.count) removed")
        }

        /// The part of a key line that names what has a value: `edge E | polling`, `host H | identity firmware`.
        static func stem(_ line: String) -> String? {
            if let range = line.range(of: " | polling ") { return String(line[..<range.upperBound].dropLast()) }
            if let range = line.range(of: " | identity ") {
                let rest = line[range.upperBound...]
                guard let space = rest.firstIndex(of: " ") else { return nil }
                return String(line[..<space])
            }
            return nil
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
            var document = try BaselineCommand.load(baseline)
            var keys = key
            var ids: [String] = []
            for item in items {
                if item == "-" {
                    while let line = readLine() {
                        if line.contains("\"event_type\":\"alert\"") { keys.append(try Approve.baselineKey(ofAlert: line)) }
                    }
                } else if item.hasPrefix("{") {
                    keys.append(try Approve.baselineKey(ofAlert: item))
                } else {
                    ids.append(item)
                }
            }
            if !ids.isEmpty {
                guard let eve else { throw fail("event ids need --eve FILE to find them in") }
                keys += try Approve.baselineKeys(ofEvents: ids, in: eve)
            }
            var changed = false
            for key in keys {
                do {
                    if try document.approve(key) {
                        changed = true
                        print("approved: \(key)")
                    } else {
                        print("already in the baseline: \(key)")
                    }
                } catch {
                    throw fail("cannot approve '\(key)': \(error.description)")
                }
            }
            if changed {
                do { try BaselineFile.write(document, to: baseline) } catch { throw fail(error.description) }
            }
        }

        static func baselineKey(ofAlert line: String) throws -> String {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw fail("not a JSON alert line: \(line.prefix(80))")
            }
            let extra = object["spanwatch"] as? [String: Any]
            guard object["event_type"] as? String == "alert" else { throw fail("not an alert: \(extra?["event_id"] ?? line.prefix(80))") }
            guard let key = extra?["baseline_key"] as? String else {
                throw fail("alert \(extra?["event_id"] as? String ?? "?") (\(extra?["kind"] as? String ?? "?")) names no baseline key: "
                           + "a baseline approval cannot silence it")
            }
            return key
        }

        static func baselineKeys(ofEvents ids: [String], in path: String) throws -> [String] {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw fail("\(path): cannot read") }
            var wanted = Set(ids)
            var found: [String: String] = [:]
            for line in text.split(separator: "\n") where line.contains("\"event_type\":\"alert\"") {
                for id in wanted where line.contains("\"event_id\":\"\(id)\"") {
                    found[id] = try baselineKey(ofAlert: String(line))
                    wanted.remove(id)
                }
            }
            if let missing = wanted.sorted().first { throw fail("\(path): no alert with event id \(missing)") }
            return ids.map { found[$0]! }
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
        var rows: [[String]] = []
        var kinds: [String: Int] = [:]
        for line in text.split(separator: "\n") where line.contains("\"event_type\":\"alert\"") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let alert = object["alert"] as? [String: Any] else { continue }
            let extra = object["spanwatch"] as? [String: Any] ?? [:]
            let kind = extra["kind"] as? String ?? "?"
            var signature = (alert["signature"] as? String ?? "").replacingOccurrences(of: "SPANWATCH ", with: "")
            if let aggregate = extra["aggregate"] as? [String: Any] { signature = "(again ×\(aggregate["count"] ?? "?")) " + signature }
            else { kinds[kind, default: 0] += 1 }
            let time = (object["timestamp"] as? String).map { String($0.prefix(19)).replacingOccurrences(of: "T", with: " ") } ?? ""
            rows.append([time, "\(alert["severity"] ?? "")", kind, signature])
        }
        if rows.isEmpty {
            print("no alerts")
            return
        }
        let header = ["TIME (UTC)", "SEV", "KIND", "WHAT"]
        let widths = (0..<3).map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func format(_ row: [String]) -> String {
            (0..<3).map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ") + "  " + row[3]
        }
        print(format(header))
        for row in rows { print(format(row)) }
        print("\n\(kinds.values.reduce(0, +)) alerts: " + kinds.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
    }
}
