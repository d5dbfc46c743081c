import SpanwatchFlow
import SpanwatchProtocols
import SpanwatchOutput
import SpanwatchPolicy
import SpanwatchWire
import Yams

#if canImport(Glibc)
import Glibc
#endif

/// The baseline as a YAML file people review: fixed order (hosts by address, edges by client,
/// server and service), one fact per line where it helps a diff, dates (not times) on entries so
/// that relearning the same plant changes little, and a header that says what each section means.
///
/// `render` and `parse` round-trip: parse(render(b)) renders to the same bytes.
public enum BaselineFile {
    public static let header = """
    # spanwatch baseline: what this plant's network is allowed to do, learned from its traffic.
    #
    # Review it like code and keep it in version control. Delete an entry to stop allowing it;
    # `spanwatch baseline approve` adds exactly what an alert names; `spanwatch baseline diff`
    # compares two versions. `spanwatch run -b FILE` alerts on anything not written here.
    #
    #   hosts  every plant address seen sending: its MACs (vendor from the OUI), the roles it was
    #          seen in, and the identity protocols revealed (vendor, product, firmware). An address
    #          not listed is a new_host alert; another MAC or identity is an asset_change.
    #   edges  "client > server service [protocol]" and the operations used on it. An edge not
    #          listed is a new_flow; an operation not listed a new_operation; a write outside the
    #          listed ranges a write_out_of_range. A polling edge has a cycle (period and jitter in
    #          ms); its device not answering for three cycles is a device_silent alert.
    #   dns    the names each client resolved; external_dns alerts spare them.
    #
    # first_seen / last_seen are dates (UTC); flows counts flows learned, for the reviewer only.

    """

    // MARK: Writing

    public static func render(_ baseline: Baseline) -> String {
        var out = header
        out += "version: \(baseline.version)\n"
        if baseline.learnedFrom != nil || baseline.learnedUntil != nil {
            out += "learned:\n"
            if let from = baseline.learnedFrom { out += "  from: \(quoted(EveTimestamp.format(microseconds: from)))\n" }
            if let until = baseline.learnedUntil { out += "  until: \(quoted(EveTimestamp.format(microseconds: until)))\n" }
        }
        out += "\nhosts:\n"
        if baseline.hosts.isEmpty { out += "  []\n" }
        for address in baseline.hosts.keys.sorted() {
            let host = baseline.hosts[address]!
            out += "  - address: \(quoted(address.description))\n"
            if !host.macs.isEmpty {
                let macs = host.macs.sorted { $0.raw < $1.raw }
                out += "    macs: [\(macs.map { quoted($0.description) }.joined(separator: ", "))]\n"
                let vendors = Set(macs.compactMap { OUIVendors.vendor(of: $0) }).sorted()
                if !vendors.isEmpty { out += "    vendor: \(quoted(vendors.joined(separator: ", ")))  # from the MAC OUI; not read back\n" }
            }
            if !host.roles.isEmpty { out += "    roles: [\(host.roles.sorted().map(quoted).joined(separator: ", "))]\n" }
            if !host.identity.isEmpty {
                out += "    identity:\n"
                for field in host.identity.keys.sorted() { out += "      \(field): \(quoted(host.identity[field]!))\n" }
            }
            if let first = host.firstSeen { out += "    first_seen: \(date(first))\n" }
            if let last = host.lastSeen { out += "    last_seen: \(date(last))\n" }
        }
        out += "\nedges:\n"
        if baseline.edges.isEmpty { out += "  []\n" }
        for key in baseline.edges.keys.sorted() {
            let edge = baseline.edges[key]!
            out += "  - edge: \(quoted(key.description))\n"
            if let first = edge.firstSeen { out += "    first_seen: \(date(first))\n" }
            if let last = edge.lastSeen { out += "    last_seen: \(date(last))\n" }
            out += "    flows: \(edge.flows)\n"
            if let cycle = edge.polling {
                out += "    polling: {period_ms: \(cycle.periodMilliseconds), jitter_ms: \(cycle.jitterMilliseconds)}\n"
            }
            renderOperations(edge, into: &out)
        }
        out += "\ndns:\n"
        if baseline.dnsNames.isEmpty { out += "  []\n" }
        for client in baseline.dnsNames.keys.sorted() {
            out += "  - client: \(quoted(client.description))\n"
            out += "    names:\n"
            for name in baseline.dnsNames[client]!.sorted() { out += "      - \(quoted(name))\n" }
        }
        return out
    }

    /// Each protocol's section (in the registry's order), its fields in its vocabulary's order.
    static func renderOperations(_ edge: BaselineEdge, into out: inout String) {
        for vocabulary in ProtocolRegistry.standard.vocabularies where edge.lists(vocabulary.protocolName) {
            out += "    \(vocabulary.protocolName):\n"
            for field in vocabulary.fields {
                guard let set = edge.fields[field] else { continue }
                switch field.kind {
                case .set:
                    let values = set.values.sorted()
                    switch field.layout {
                    case .inline(let quote):
                        list(field.section, values.map { quote ? quoted(field.format($0)) : field.format($0) }, comment: field.comment(values), into: &out)
                    case .block:
                        block(field.section, Set(values.map { field.format($0) }), into: &out)
                    }
                case .ranges:
                    ranges(field.section, set.tables.map { ($0.key, $0.value) }, into: &out)
                }
            }
        }
    }

    static func list(_ name: String, _ items: [String], comment: String = "", into out: inout String) {
        guard !items.isEmpty else { return }
        out += "      \(name): [\(items.joined(separator: ", "))]" + (comment.isEmpty ? "" : "  # \(comment)") + "\n"
    }

    /// Names one per line: a topic added is a one-line diff.
    static func block(_ name: String, _ items: Set<String>, into out: inout String) {
        guard !items.isEmpty else { return }
        out += "      \(name):\n"
        for item in items.sorted() { out += "        - \(quoted(item))\n" }
    }

    static func ranges(_ name: String, _ tables: [(String, AddressRanges)], into out: inout String) {
        let kept = tables.filter { !$0.1.isEmpty }.sorted { $0.0 < $1.0 }
        guard !kept.isEmpty else { return }
        out += "      \(name):\n"
        for (table, set) in kept {
            out += "        \(quoted(table)): [\(set.ranges.map { quoted(AddressRanges.text($0)) }.joined(separator: ", "))]\n"
        }
    }

    static func date(_ time: Timestamp) -> String { String(EveTimestamp.format(microseconds: time).prefix(10)) }

    /// Plain when it cannot be misread (by this reader or any other YAML 1.1/1.2 one), else a
    /// double-quoted string with escapes.
    static func quoted(_ text: String) -> String {
        let plainSafe = !text.isEmpty && text.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
                || byte == UInt8(ascii: "/") || byte == UInt8(ascii: "-")
        }
        let reserved: Set<String> = ["true", "false", "yes", "no", "on", "off", "null", "y", "n"]
        let numeric = text.first.map { $0.isNumber || $0 == "." || $0 == "-" } ?? false
        if plainSafe && !numeric && !reserved.contains(text.lowercased()) { return text }
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\x" + (hex.count < 2 ? "0" : "") + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    // MARK: Reading

    /// An edge's keys: its facts, and a section per protocol with operations.
    static let edgeKeys: Set<String> = Set(["edge", "first_seen", "last_seen", "flows", "polling"]
        + ProtocolRegistry.standard.vocabularies.filter { !$0.fields.isEmpty }.map(\.protocolName))

    public static func load(path: String) throws(ConfigurationError) -> Baseline {
        try parse(ConfigReader.readFile(path), file: path)
    }

    public static func parse(_ text: String, file: String) throws(ConfigurationError) -> Baseline {
        let root = try ConfigReader.compose(text, file: file)
        var baseline = Baseline()
        guard let root else { throw ConfigurationError("\(file): empty baseline (no 'version')") }
        let reader = ConfigReader(file: file)
        let top = try reader.mapping(root, path: "")
        try reader.allowOnly(top, ["version", "learned", "hosts", "edges", "dns"], path: "", node: root)
        guard let version = top["version"] else { throw ConfigurationError("\(reader.at(root)): missing key 'version'") }
        guard try reader.integer(version, path: "version") == 1 else { throw ConfigurationError("\(reader.at(version)): 'version' must be 1") }
        if let learned = top["learned"] {
            let map = try reader.mapping(learned, path: "learned")
            try reader.allowOnly(map, ["from", "until"], path: "learned", node: learned)
            if let node = map["from"] { baseline.learnedFrom = try timestamp(node, path: "learned.from", reader: reader) }
            if let node = map["until"] { baseline.learnedUntil = try timestamp(node, path: "learned.until", reader: reader) }
        }
        for (index, item) in try items(top["hosts"], path: "hosts", reader: reader).enumerated() {
            let path = "hosts[\(index)]"
            let map = try reader.mapping(item, path: path)
            try reader.allowOnly(map, ["address", "macs", "vendor", "roles", "identity", "first_seen", "last_seen"], path: path, node: item)
            guard let addressNode = map["address"] else { throw ConfigurationError("\(reader.at(item)): '\(path).address' is missing") }
            let address = try ipAddress(addressNode, path: "\(path).address", reader: reader)
            guard baseline.hosts[address] == nil else { throw ConfigurationError("\(reader.at(addressNode)): host \(address) is listed twice") }
            var host = BaselineHost(address: address)
            if let node = map["macs"] {
                for text in try reader.stringList(node, path: "\(path).macs") {
                    guard let mac = MACAddress(text) else { throw ConfigurationError("\(reader.at(node)): '\(path).macs' has an invalid MAC '\(text)'") }
                    host.macs.insert(mac)
                }
            }
            if let node = map["roles"] { host.roles = Set(try reader.stringList(node, path: "\(path).roles")) }
            if let node = map["identity"] {
                for (field, value) in try reader.mapping(node, path: "\(path).identity") {
                    host.identity[field] = try reader.string(value, path: "\(path).identity.\(field)")
                }
            }
            if let node = map["first_seen"] { host.firstSeen = try timestamp(node, path: "\(path).first_seen", reader: reader) }
            if let node = map["last_seen"] { host.lastSeen = try timestamp(node, path: "\(path).last_seen", reader: reader) }
            baseline.hosts[address] = host
        }
        for (index, item) in try items(top["edges"], path: "edges", reader: reader).enumerated() {
            let path = "edges[\(index)]"
            let map = try reader.mapping(item, path: path)
            try reader.allowOnly(map, BaselineFile.edgeKeys,
                                 path: path, node: item)
            guard let edgeNode = map["edge"] else { throw ConfigurationError("\(reader.at(item)): '\(path).edge' is missing") }
            let text = try reader.string(edgeNode, path: "\(path).edge")
            guard let key = EdgeKey.parse(Substring(text)) else {
                throw ConfigurationError("\(reader.at(edgeNode)): '\(path).edge' is not 'CLIENT > SERVER tcp/PORT [protocol]': '\(text)'")
            }
            guard baseline.edges[key] == nil else { throw ConfigurationError("\(reader.at(edgeNode)): edge '\(key)' is listed twice") }
            var edge = BaselineEdge()
            if let node = map["first_seen"] { edge.firstSeen = try timestamp(node, path: "\(path).first_seen", reader: reader) }
            if let node = map["last_seen"] { edge.lastSeen = try timestamp(node, path: "\(path).last_seen", reader: reader) }
            if let node = map["flows"] {
                let flows = try reader.integer(node, path: "\(path).flows")
                guard flows >= 0 else { throw ConfigurationError("\(reader.at(node)): '\(path).flows' must not be negative") }
                edge.flows = UInt64(flows)
            }
            if let node = map["polling"] {
                let polling = try reader.mapping(node, path: "\(path).polling")
                try reader.allowOnly(polling, ["period_ms", "jitter_ms"], path: "\(path).polling", node: node)
                guard let period = polling["period_ms"], let jitter = polling["jitter_ms"] else {
                    throw ConfigurationError("\(reader.at(node)): '\(path).polling' needs period_ms and jitter_ms")
                }
                let periodValue = try reader.positive(period, path: "\(path).polling.period_ms")
                let jitterValue = try reader.integer(jitter, path: "\(path).polling.jitter_ms")
                guard jitterValue >= 0 else { throw ConfigurationError("\(reader.at(jitter)): '\(path).polling.jitter_ms' must not be negative") }
                edge.polling = PollingCycle(periodMilliseconds: Int64(periodValue), jitterMilliseconds: Int64(jitterValue))
            }
            try parseOperations(map, path: path, reader: reader, into: &edge)
            baseline.edges[key] = edge
        }
        for (index, item) in try items(top["dns"], path: "dns", reader: reader).enumerated() {
            let path = "dns[\(index)]"
            let map = try reader.mapping(item, path: path)
            try reader.allowOnly(map, ["client", "names"], path: path, node: item)
            guard let clientNode = map["client"] else { throw ConfigurationError("\(reader.at(item)): '\(path).client' is missing") }
            let client = try ipAddress(clientNode, path: "\(path).client", reader: reader)
            let names = try map["names"].map { node throws(ConfigurationError) in try reader.stringList(node, path: "\(path).names") } ?? []
            baseline.dnsNames[client, default: []].formUnion(names.map { $0.lowercased() })
        }
        return baseline
    }

    /// Each protocol's section, read by its vocabulary.
    static func parseOperations(_ map: [String: Node], path: String, reader: ConfigReader, into edge: inout BaselineEdge) throws(ConfigurationError) {
        for vocabulary in ProtocolRegistry.standard.vocabularies {
            guard let node = map[vocabulary.protocolName] else { continue }
            let p = "\(path).\(vocabulary.protocolName)"
            let m = try reader.mapping(node, path: p)
            try reader.allowOnly(m, Set(vocabulary.fields.map(\.section)), path: p, node: node)
            for field in vocabulary.fields {
                guard let list = m[field.section] else { continue }
                let fieldPath = "\(p).\(field.section)"
                var set = OperationSet()
                switch field.kind {
                case .set:
                    if let limit = field.numericLimit {
                        set.values = Set(try numbers(list, path: fieldPath, reader: reader, limit: limit).map { .number(UInt32($0)) })
                    } else {
                        for text in try reader.stringList(list, path: fieldPath) {
                            guard let value = field.parse(Substring(text)) else {
                                throw ConfigurationError("\(reader.at(list)): '\(fieldPath)' \(field.invalidValue(text))")
                            }
                            set.values.insert(value)
                        }
                    }
                case .ranges:
                    for (table, ranges) in try rangeTables(list, path: fieldPath, reader: reader) {
                        guard field.parse(Substring(table)) != nil else { throw ConfigurationError("\(reader.at(list)): '\(fieldPath)' \(field.invalidValue(table))") }
                        set.tables[table] = ranges
                    }
                }
                if !set.isEmpty { edge.fields[field] = set }
            }
        }
    }

    /// A list, or an absent / empty (`[]`) section.
    static func items(_ node: Node?, path: String, reader: ConfigReader) throws(ConfigurationError) -> [Node] {
        guard let node else { return [] }
        if case .scalar(let scalar) = node, scalar.string.isEmpty { return [] }
        guard case .sequence(let sequence) = node else { throw ConfigurationError("\(reader.at(node)): '\(path)' must be a list") }
        return Array(sequence)
    }

    static func numbers(_ node: Node?, path: String, reader: ConfigReader, limit: Int) throws(ConfigurationError) -> [Int] {
        guard let node else { return [] }
        guard case .sequence(let sequence) = node else { throw ConfigurationError("\(reader.at(node)): '\(path)' must be a list") }
        var out: [Int] = []
        for item in sequence {
            let value = try reader.integer(item, path: path)
            guard (0...limit).contains(value) else { throw ConfigurationError("\(reader.at(item)): '\(path)' values must be 0-\(limit), not \(value)") }
            out.append(value)
        }
        return out
    }

    static func rangeTables(_ node: Node?, path: String, reader: ConfigReader) throws(ConfigurationError) -> [(String, AddressRanges)] {
        guard let node else { return [] }
        var out: [(String, AddressRanges)] = []
        for (name, list) in try reader.mapping(node, path: path) {
            var set = AddressRanges()
            for text in try reader.stringList(list, path: "\(path).\(name)") {
                guard let range = AddressRanges.parseRange(Substring(text)) else {
                    throw ConfigurationError("\(reader.at(list)): '\(path).\(name)' has an invalid range '\(text)' (write 100 or 100-119)")
                }
                set.insert(range)
            }
            out.append((name, set))
        }
        return out
    }

    static func ipAddress(_ node: Node, path: String, reader: ConfigReader) throws(ConfigurationError) -> IPAddress {
        let text = try reader.string(node, path: path)
        guard let address = IPAddress(text) else { throw ConfigurationError("\(reader.at(node)): '\(path)' is not an IP address: '\(text)'") }
        return address
    }

    /// `2026-11-26` (midnight UTC) or an EVE timestamp `2026-11-26T10:00:00.000000+0000`.
    static func timestamp(_ node: Node, path: String, reader: ConfigReader) throws(ConfigurationError) -> Timestamp {
        let text = try reader.string(node, path: path)
        guard let value = parseTimestamp(text) else {
            throw ConfigurationError("\(reader.at(node)): '\(path)' is not a date (2026-11-26) or timestamp: '\(text)'")
        }
        return value
    }

    static func parseTimestamp(_ text: String) -> Timestamp? {
        let bytes = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int64? {
            guard range.upperBound <= bytes.count else { return nil }
            var value: Int64 = 0
            for byte in bytes[range] {
                guard byte >= 48 && byte <= 57 else { return nil }
                value = value * 10 + Int64(byte - 48)
            }
            return value
        }
        guard bytes.count >= 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              (1...12).contains(month), (1...31).contains(day) else { return nil }
        // Days from civil (Howard Hinnant's algorithm).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        var micros = days * 86_400_000_000
        if bytes.count == 10 { return micros }
        guard bytes.count >= 19, bytes[10] == UInt8(ascii: "T"), let hour = number(11..<13), let minute = number(14..<16),
              let second = number(17..<19) else { return nil }
        micros += (hour * 3600 + minute * 60 + second) * 1_000_000
        if bytes.count >= 26, bytes[19] == UInt8(ascii: "."), let fraction = number(20..<26) { micros += fraction }
        return micros
    }

    // MARK: Atomic write

    /// Writes the file so that readers see the old or the new one, never a part: a temporary file
    /// in the same directory, fsync, rename.
    public static func write(_ baseline: Baseline, to path: String) throws(ConfigurationError) {
        try writeAtomically(render(baseline), to: path)
    }

    static func writeAtomically(_ text: String, to path: String) throws(ConfigurationError) {
        let temporary = path + ".tmp.\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw ConfigurationError("\(path): cannot write: \(String(cString: strerror(errno)))") }
        var failure: String? = nil
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = String(cString: strerror(errno))
                    return
                }
                offset += written
            }
        }
        if failure == nil && fsync(descriptor) != 0 { failure = String(cString: strerror(errno)) }
        close(descriptor)
        if failure == nil && rename(temporary, path) != 0 { failure = String(cString: strerror(errno)) }
        if let failure {
            unlink(temporary)
            throw ConfigurationError("\(path): cannot write: \(failure)")
        }
    }
}
