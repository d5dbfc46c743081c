import Foundation
import SpanwatchPolicy

/// `baseline diff`: what NEW allows that OLD does not (+), the reverse (-), and a value that
/// changed (a polling cycle, an identity field) as one `~` line. Dates and counts are not facts.
public enum BaselineDiff {
    /// The lines to print (`no differences` when there are none).
    public static func lines(old: Baseline, new: Baseline) -> [String] {
        let before = Set(old.keyLines())
        let after = Set(new.keyLines())
        var removed = before.subtracting(after).sorted()
        var added = after.subtracting(before).sorted()
        var changed: [String] = []
        for line in removed {
            guard let stem = stem(line), let index = added.firstIndex(where: { BaselineDiff.stem($0) == stem }) else { continue }
            changed.append("~ \(line) -> \(added[index].dropFirst(stem.count).trimmingPrefix(" "))")
            added.remove(at: index)
            removed.removeAll { $0 == line }
        }
        if removed.isEmpty && added.isEmpty && changed.isEmpty { return ["no differences"] }
        return removed.map { "- \($0)" } + changed + added.map { "+ \($0)" }
            + ["# \(added.count) added, \(changed.count) changed, \(removed.count) removed"]
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

/// `baseline approve`: the baseline keys that alerts name, from alert lines or event ids.
public enum AlertApproval {
    /// Keys from the items: alert JSON lines, event ids (looked up in `eve`), and `-` (alert
    /// lines read from standard input), in order; `keys` given as text come first.
    public static func keys(items: [String], keys given: [String], eve: String?) throws(CommandFailure) -> [String] {
        var keys = given
        var ids: [String] = []
        for item in items {
            if item == "-" {
                while let line = readLine() {
                    if line.contains("\"event_type\":\"alert\"") { keys.append(try baselineKey(ofAlert: line)) }
                }
            } else if item.hasPrefix("{") {
                keys.append(try baselineKey(ofAlert: item))
            } else {
                ids.append(item)
            }
        }
        if !ids.isEmpty {
            guard let eve else { throw CommandFailure("event ids need --eve FILE to find them in") }
            keys += try baselineKeys(ofEvents: ids, in: eve)
        }
        return keys
    }

    /// Approves every key into the file (rewritten atomically when anything changed); returns
    /// the lines to print.
    public static func approve(_ keys: [String], into path: String) throws(CommandFailure) -> [String] {
        var document: Baseline
        do { document = try BaselineFile.load(path: path) } catch { throw CommandFailure(error.description) }
        var changed = false
        var lines: [String] = []
        for key in keys {
            do {
                if try document.approve(key) {
                    changed = true
                    lines.append("approved: \(key)")
                } else {
                    lines.append("already in the baseline: \(key)")
                }
            } catch {
                throw CommandFailure("cannot approve '\(key)': \(error.description)")
            }
        }
        if changed {
            do { try BaselineFile.write(document, to: path) } catch { throw CommandFailure(error.description) }
        }
        return lines
    }

    static func baselineKey(ofAlert line: String) throws(CommandFailure) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw CommandFailure("not a JSON alert line: \(line.prefix(80))")
        }
        let extra = object["spanwatch"] as? [String: Any]
        guard object["event_type"] as? String == "alert" else { throw CommandFailure("not an alert: \(extra?["event_id"] ?? line.prefix(80))") }
        guard let key = extra?["baseline_key"] as? String else {
            throw CommandFailure("alert \(extra?["event_id"] as? String ?? "?") (\(extra?["kind"] as? String ?? "?")) names no baseline key: "
                                 + "a baseline approval cannot silence it")
        }
        return key
    }

    static func baselineKeys(ofEvents ids: [String], in path: String) throws(CommandFailure) -> [String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw CommandFailure("\(path): cannot read") }
        var wanted = Set(ids)
        var found: [String: String] = [:]
        for line in text.split(separator: "\n") where line.contains("\"event_type\":\"alert\"") {
            for id in wanted where line.contains("\"event_id\":\"\(id)\"") {
                found[id] = try baselineKey(ofAlert: String(line))
                wanted.remove(id)
            }
        }
        if let missing = wanted.sorted().first { throw CommandFailure("\(path): no alert with event id \(missing)") }
        return ids.map { found[$0]! }
    }
}

/// `alerts`: the alerts of EVE JSON lines as a table a person reads.
public enum AlertTable {
    public static func lines(of text: String) -> [String] {
        var rows: [[String]] = []
        var kinds: [String: Int] = [:]
        for line in text.split(separator: "\n") where line.contains("\"event_type\":\"alert\"") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let alert = object["alert"] as? [String: Any] else { continue }
            let extra = object["spanwatch"] as? [String: Any] ?? [:]
            let kind = extra["kind"] as? String ?? "?"
            var signature = (alert["signature"] as? String ?? "").replacingOccurrences(of: "SPANWATCH ", with: "")
            if let window = extra["maintenance"] as? String { signature = "[maintenance \(window)] " + signature }
            if let rule = extra["muted"] as? String { signature = "[muted \(rule)] " + signature }
            if let aggregate = extra["aggregate"] as? [String: Any] { signature = "(again ×\(aggregate["count"] ?? "?")) " + signature }
            else { kinds[kind, default: 0] += 1 }
            let time = (object["timestamp"] as? String).map { String($0.prefix(19)).replacingOccurrences(of: "T", with: " ") } ?? ""
            rows.append([time, "\(alert["severity"] ?? "")", kind, signature])
        }
        if rows.isEmpty { return ["no alerts"] }
        let header = ["TIME (UTC)", "SEV", "KIND", "WHAT"]
        let widths = (0..<3).map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func format(_ row: [String]) -> String {
            (0..<3).map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ") + "  " + row[3]
        }
        return [format(header)] + rows.map(format)
            + ["\n\(kinds.values.reduce(0, +)) alerts: " + kinds.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")]
    }
}
