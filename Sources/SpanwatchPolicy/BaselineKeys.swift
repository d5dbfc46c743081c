import SpanwatchFlow
import SpanwatchProtocols
import SpanwatchWire

/// Baseline keys: one line per fact, in the form alerts name them (`spanwatch.baseline_key`) and
/// `baseline approve` / `baseline diff` use:
///
///     host 10.0.9.9
///     host 10.0.1.10 | mac 00:1b:1b:00:00:01
///     host 10.0.1.10 | identity firmware V3.2.6
///     edge 10.0.2.20 > 10.0.1.10 tcp/502 modbus
///     edge 10.0.2.20 > 10.0.1.10 tcp/502 modbus | modbus.function 16
///     edge 10.0.2.20 > 10.0.1.10 tcp/502 modbus | modbus.write holding_registers 100-109
///     dns 10.0.2.20 historian.plant.local
public struct BaselineKeyError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension Baseline {
    /// Every fact as a key line, sorted (what `baseline diff` compares). Counts and dates are not
    /// facts: they are left out, so relearning the same plant diffs empty.
    public func keyLines() -> [String] {
        var lines: [String] = []
        for address in hosts.keys.sorted() {
            let host = hosts[address]!
            lines.append("host \(address)")
            for mac in host.macs.sorted(by: { $0.raw < $1.raw }) { lines.append("host \(address) | mac \(mac)") }
            for role in host.roles.sorted() { lines.append("host \(address) | role \(role)") }
            for field in host.identity.keys.sorted() { lines.append("host \(address) | identity \(field) \(host.identity[field]!)") }
        }
        for key in edges.keys.sorted() {
            let edge = edges[key]!
            lines.append("edge \(key)")
            if let cycle = edge.polling { lines.append("edge \(key) | polling \(cycle.periodMilliseconds) ms, jitter \(cycle.jitterMilliseconds) ms") }
            for operation in edge.operations() { lines.append("edge \(key) | \(operation.keyText)") }
        }
        for client in dnsNames.keys.sorted() {
            for name in dnsNames[client]!.sorted() { lines.append("dns \(client) \(name)") }
        }
        return lines
    }

    /// Adds exactly what the key names (and the host or edge it hangs on, if missing). Returns
    /// whether anything changed (approving twice changes nothing the second time).
    @discardableResult
    public mutating func approve(_ key: String) throws(BaselineKeyError) -> Bool {
        let parts = key.split(separator: "|", maxSplits: 1).map { String($0).trimmedOfSpaces() }
        let head = parts[0]
        let detail = parts.count > 1 ? parts[1] : nil
        if head.hasPrefix("host ") {
            guard let address = IPAddress(String(head.dropFirst(5))) else { throw BaselineKeyError("not an address in '\(key)'") }
            let existed = hosts[address] != nil
            var host = hosts[address] ?? BaselineHost(address: address)
            let before = host
            if let detail {
                if detail.hasPrefix("mac "), let mac = MACAddress(String(detail.dropFirst(4))) {
                    host.macs.insert(mac)
                } else if detail.hasPrefix("identity ") {
                    let rest = detail.dropFirst(9)
                    guard let space = rest.firstIndex(of: " ") else { throw BaselineKeyError("identity needs a field and a value in '\(key)'") }
                    host.identity[String(rest[..<space])] = String(rest[rest.index(after: space)...])
                } else if detail.hasPrefix("role ") {
                    host.roles.insert(String(detail.dropFirst(5)))
                } else {
                    throw BaselineKeyError("unknown host detail '\(detail)' (mac, identity or role)")
                }
            }
            hosts[address] = host
            return !existed || before != host
        }
        if head.hasPrefix("edge ") {
            guard let edgeKey = EdgeKey.parse(head.dropFirst(5)) else {
                throw BaselineKeyError("not an edge 'CLIENT > SERVER tcp/PORT [protocol]' in '\(key)'")
            }
            let existed = edges[edgeKey] != nil
            var edge = edges[edgeKey] ?? BaselineEdge()
            let before = edge
            // One operation, or several separated by '|' (a write outside the baseline names
            // every operation of its message, so approving it makes the message normal).
            for part in detail.map({ $0.split(separator: "|").map { String($0).trimmedOfSpaces() } }) ?? [] {
                guard let operation = ObservedOperation.parse(Substring(part)) else { throw BaselineKeyError("unknown operation '\(part)'") }
                edge.insert(operation)
            }
            edges[edgeKey] = edge
            return !existed || before != edge
        }
        if head.hasPrefix("dns ") {
            let words = head.dropFirst(4).split(separator: " ")
            guard words.count == 2, let client = IPAddress(String(words[0])) else { throw BaselineKeyError("expected 'dns CLIENT NAME' in '\(key)'") }
            return dnsNames[client, default: []].insert(words[1].lowercased()).inserted
        }
        throw BaselineKeyError("unknown baseline key '\(key)' (host, edge or dns)")
    }
}

extension BaselineEdge {
    /// Every operation of the edge, in a fixed order: the registry's protocols, each one's
    /// fields, values sorted.
    public func operations() -> [ObservedOperation] {
        var out: [ObservedOperation] = []
        for vocabulary in ProtocolRegistry.standard.vocabularies {
            for field in vocabulary.fields {
                guard let set = fields[field] else { continue }
                switch field.kind {
                case .set:
                    out += set.values.sorted().map { ProtocolOperation(field, $0) }
                case .ranges:
                    for table in set.tables.keys.sorted(by: field.tableOrder) {
                        out += set.tables[table]!.ranges.map { ProtocolOperation(field, table: table, $0) }
                    }
                }
            }
        }
        return out
    }
}
