import SpanwatchWire
import SpanwatchFlow
import SpanwatchProtocols
import SpanwatchPolicy
import Yams

/// Typed access to YAML nodes with file:line errors.
struct ConfigReader {
    let file: String

    /// A whole (small) file, or an error naming it.
    static func readFile(_ path: String) throws(ConfigurationError) -> String {
        do {
            return try readTextFile(path)
        } catch {
            throw ConfigurationError("\(path): \(error)")
        }
    }

    /// The document's root node; scalars stay text (the basic resolver), so the reader types them
    /// itself and names the line when one is wrong.
    static func compose(_ text: String, file: String) throws(ConfigurationError) -> Node? {
        do {
            return try Yams.compose(yaml: text, .basic)
        } catch {
            throw ConfigurationError("\(file): not valid YAML: \(String(describing: error).split(separator: "\n").first ?? "")")
        }
    }

    func at(_ node: Node) -> String {
        if let mark = node.mark { return "\(file):\(mark.line)" }
        return file
    }

    func mapping(_ node: Node, path: String) throws(ConfigurationError) -> [String: Node] {
        guard case .mapping(let mapping) = node else {
            throw ConfigurationError("\(at(node)): '\(path.isEmpty ? "top level" : path)' must be a mapping")
        }
        var result = [String: Node]()
        for (key, value) in mapping {
            guard let name = key.string else { throw ConfigurationError("\(at(key)): keys must be strings") }
            if result[name] != nil { throw ConfigurationError("\(at(key)): duplicate key '\(name)'") }
            result[name] = value
        }
        return result
    }

    func allowOnly(_ map: [String: Node], _ allowed: Set<String>, path: String, node: Node) throws(ConfigurationError) {
        guard case .mapping(let mapping) = node else { return }
        for (key, _) in mapping {
            guard let name = key.string else { continue }
            if !allowed.contains(name) {
                let qualified = path.isEmpty ? name : "\(path).\(name)"
                throw ConfigurationError("\(at(key)): unknown key '\(qualified)' (allowed: \(allowed.sorted().joined(separator: ", ")))")
            }
        }
    }

    func string(_ node: Node, path: String) throws(ConfigurationError) -> String {
        guard case .scalar(let scalar) = node else { throw ConfigurationError("\(at(node)): '\(path)' must be a string") }
        return scalar.string
    }

    func integer(_ node: Node, path: String) throws(ConfigurationError) -> Int {
        guard case .scalar(let scalar) = node, let value = Int(scalar.string) else {
            throw ConfigurationError("\(at(node)): '\(path)' must be an integer")
        }
        return value
    }

    func positive(_ node: Node, path: String) throws(ConfigurationError) -> Int {
        let value = try integer(node, path: path)
        guard value > 0 else { throw ConfigurationError("\(at(node)): '\(path)' must be positive") }
        return value
    }

    func bool(_ node: Node, path: String) throws(ConfigurationError) -> Bool {
        guard case .scalar(let scalar) = node else { throw ConfigurationError("\(at(node)): '\(path)' must be true or false") }
        switch scalar.string.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw ConfigurationError("\(at(node)): '\(path)' must be true or false, not '\(scalar.string)'")
        }
    }

    /// A section that is one mapping or a list of them: each item parsed with its own key path
    /// (`outputs.syslog`, or `outputs.syslog[1]` in a list).
    func oneOrMany<T>(_ node: Node, path: String, _ parse: (Node, String) throws(ConfigurationError) -> T) throws(ConfigurationError) -> [T] {
        guard case .sequence(let sequence) = node else { return [try parse(node, path)] }
        guard !sequence.isEmpty else { throw ConfigurationError("\(at(node)): '\(path)' is an empty list") }
        var out: [T] = []
        for (index, item) in sequence.enumerated() { out.append(try parse(item, "\(path)[\(index)]")) }
        return out
    }

    /// The items of a one-or-many section, for messages that name an item's line.
    func items(_ node: Node) -> [Node] {
        if case .sequence(let sequence) = node { return Array(sequence) }
        return [node]
    }

    /// A `types:` list of event types, each checked.
    func eventTypes(_ node: Node, path: String) throws(ConfigurationError) -> Set<String> {
        let types = try stringList(node, path: path)
        for type in types where !SpanwatchConfiguration.knownEventTypes.contains(type) {
            throw ConfigurationError("\(at(node)): unknown event type '\(type)' in '\(path)' (known: \(SpanwatchConfiguration.knownEventTypes.sorted().joined(separator: ", ")))")
        }
        return Set(types)
    }

    func stringList(_ node: Node, path: String) throws(ConfigurationError) -> [String] {
        guard case .sequence(let sequence) = node else { throw ConfigurationError("\(at(node)): '\(path)' must be a list") }
        var out = [String]()
        for item in sequence { out.append(try string(item, path: path)) }
        return out
    }

    /// Sizes: a number of bytes, or with KiB/MiB/GiB (also K/M/G, KB/MB/GB as powers of 1024).
    func size(_ node: Node, path: String) throws(ConfigurationError) -> Int {
        let text = try string(node, path: path).trimmedOfSpaces()
        guard let value = ConfigReader.parseSize(text) else {
            throw ConfigurationError("\(at(node)): '\(path)' is not a size: '\(text)' (examples: 65536, 64KiB, 256MiB, 1GiB)")
        }
        return value
    }

    static func parseSize(_ text: String) -> Int? {
        let units: [(String, Int)] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10), ("GB", 1 << 30), ("MB", 1 << 20),
                                      ("KB", 1 << 10), ("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10), ("B", 1)]
        for (suffix, multiplier) in units where text.hasSuffix(suffix) {
            guard let number = Int(String(text.dropLast(suffix.count)).trimmedOfSpaces()), number >= 0 else { return nil }
            return number * multiplier
        }
        guard let number = Int(text), number >= 0 else { return nil }
        return number
    }

    /// Durations in seconds: a number, or with s/m/h/d.
    func duration(_ node: Node, path: String, allowZero: Bool = false) throws(ConfigurationError) -> Int64 {
        let text = try string(node, path: path).trimmedOfSpaces()
        guard let value = ConfigReader.parseDuration(text), value > 0 || (allowZero && value == 0) else {
            throw ConfigurationError("\(at(node)): '\(path)' is not a duration: '\(text)' (examples: 30s, 5m, 1h, 7d)")
        }
        return value
    }

    static func parseDuration(_ text: String) -> Int64? {
        let units: [(String, Int64)] = [("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
        for (suffix, multiplier) in units where text.hasSuffix(suffix) {
            guard let number = Int64(text.dropLast(suffix.count)), number >= 0 else { return nil }
            return number * multiplier
        }
        guard let number = Int64(text), number >= 0 else { return nil }
        return number
    }
}
