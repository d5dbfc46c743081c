import SpanwatchFlow
import SpanwatchProtocols
import SpanwatchWire

/// The allowed-flow baseline: the hosts of the plant, the edges between them (who talks to whom,
/// over which service) and the operations each edge uses. Learned from traffic, written as a
/// reviewable YAML file, approved like code, and checked in monitoring.
///
/// Everything here is a set or a range set, so learning the same traffic twice, or merging two
/// baselines, gives the same result in any order.
public struct Baseline: Sendable, Equatable {
    public var version = 1
    /// Packet time of the first and last traffic learned (microseconds).
    public var learnedFrom: Timestamp? = nil
    public var learnedUntil: Timestamp? = nil
    public var hosts: [IPAddress: BaselineHost] = [:]
    public var edges: [EdgeKey: BaselineEdge] = [:]
    /// DNS names each client resolved.
    public var dnsNames: [IPAddress: Set<String>] = [:]

    public init() {}

    public var isEmpty: Bool { hosts.isEmpty && edges.isEmpty && dnsNames.isEmpty }

    /// `12 hosts, 20 edges (6 polling), 4 DNS names`.
    public var summary: String {
        let polling = edges.values.filter { $0.polling != nil }.count
        let names = dnsNames.values.reduce(0) { $0 + $1.count }
        return "\(hosts.count) hosts, \(edges.count) edges (\(polling) polling), \(names) DNS names"
    }

    /// Extends this baseline with everything `other` holds (`learn --merge`).
    public mutating func merge(_ other: Baseline) {
        learnedFrom = [learnedFrom, other.learnedFrom].compactMap { $0 }.min()
        learnedUntil = [learnedUntil, other.learnedUntil].compactMap { $0 }.max()
        for (address, host) in other.hosts { hosts[address, default: BaselineHost(address: address)].merge(host) }
        for (key, edge) in other.edges { edges[key, default: BaselineEdge()].merge(edge) }
        for (client, names) in other.dnsNames { dnsNames[client, default: []].formUnion(names) }
    }
}

/// An edge: (client, server, transport, server port, application protocol).
public struct EdgeKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var client: IPAddress
    public var server: IPAddress
    /// `tcp`, `udp`, `icmp` or `ip`.
    public var transport: String
    public var port: UInt16
    /// `modbus`, `dnp3`, ...; empty when no protocol spanwatch parses was found.
    public var app: String

    public init(client: IPAddress, server: IPAddress, transport: String, port: UInt16, app: String) {
        self.client = client
        self.server = server
        self.transport = transport
        self.port = port
        self.app = app
    }

    public init(_ flow: Flow) {
        let app = flow.appProto.eveName.flatMap { $0 == "failed" ? nil : $0 } ?? ""
        self.init(client: flow.clientIP, server: flow.serverIP, transport: EveProtocol.name(flow.transport),
                  port: flow.transport == .tcp || flow.transport == .udp ? flow.serverPort : 0, app: app)
    }

    /// `tcp/502`, or `icmp`.
    public var service: String { transport == "tcp" || transport == "udp" ? "\(transport)/\(port)" : transport }

    /// `10.0.2.20 > 10.0.1.10 tcp/502 modbus`: the edge as alerts and `baseline approve` name it.
    public var description: String { "\(client) > \(server) \(service)" + (app.isEmpty ? "" : " \(app)") }

    public static func < (a: EdgeKey, b: EdgeKey) -> Bool {
        if a.client != b.client { return a.client < b.client }
        if a.server != b.server { return a.server < b.server }
        if a.transport != b.transport { return a.transport < b.transport }
        if a.port != b.port { return a.port < b.port }
        return a.app < b.app
    }

    /// Parses the description form back.
    public static func parse(_ text: Substring) -> EdgeKey? {
        let words = text.split(separator: " ")
        guard words.count == 4 || words.count == 5, words[1] == ">",
              let client = IPAddress(String(words[0])), let server = IPAddress(String(words[2])) else { return nil }
        let service = words[3].split(separator: "/")
        let transport = String(service[0])
        guard ["tcp", "udp", "icmp", "ip"].contains(transport) else { return nil }
        var port: UInt16 = 0
        if transport == "tcp" || transport == "udp" {
            guard service.count == 2, let value = UInt16(service[1]) else { return nil }
            port = value
        } else if service.count != 1 { return nil }
        let app = words.count == 5 ? String(words[4]) : ""
        if !app.isEmpty && !BaselineEdge.applications.contains(app) { return nil }
        return EdgeKey(client: client, server: server, transport: transport, port: port, app: app)
    }
}

/// A host of the plant: what it is (MACs, vendor, roles) and what it said about itself.
public struct BaselineHost: Sendable, Equatable {
    public static let maximumMACs = 4
    public var address: IPAddress
    public var macs: Set<MACAddress> = []
    /// Roles seen on the wire (`modbus_server`, `dnp3_master`, ...).
    public var roles: Set<String> = []
    /// Identity fields protocols revealed: `vendor`, `product`, `firmware`, `order_number`, ...
    public var identity: [String: String] = [:]
    public var firstSeen: Timestamp? = nil
    public var lastSeen: Timestamp? = nil

    public init(address: IPAddress) { self.address = address }

    public mutating func merge(_ other: BaselineHost) {
        for mac in other.macs where macs.count < BaselineHost.maximumMACs { macs.insert(mac) }
        roles.formUnion(other.roles)
        identity.merge(other.identity) { _, newer in newer }
        firstSeen = [firstSeen, other.firstSeen].compactMap { $0 }.min()
        lastSeen = [lastSeen, other.lastSeen].compactMap { $0 }.max()
    }
}

/// A request/response edge's polling cycle: the period of its most regular request, and how far
/// intervals strayed from it.
public struct PollingCycle: Sendable, Equatable {
    public var periodMilliseconds: Int64
    public var jitterMilliseconds: Int64
    public init(periodMilliseconds: Int64, jitterMilliseconds: Int64) {
        self.periodMilliseconds = periodMilliseconds
        self.jitterMilliseconds = jitterMilliseconds
    }

    /// How long the edge may be quiet before it counts as silent: three cycles, plus four times
    /// the jitter, and never under two seconds. A slower but regular master (twice the period)
    /// stays inside it; a device that stopped answering does not.
    public var silenceAllowedMicroseconds: Int64 {
        max(2_000_000, (3 * periodMilliseconds + 4 * jitterMilliseconds) * 1000)
    }
}

/// One edge's learned facts and operations.
public struct BaselineEdge: Sendable, Equatable {
    /// Application names an edge may carry (the registry's).
    public static let applications: Set<String> = Set(ProtocolRegistry.standard.names)

    public var firstSeen: Timestamp? = nil
    public var lastSeen: Timestamp? = nil
    public var flows: UInt64 = 0
    public var polling: PollingCycle? = nil

    /// The operations used on the edge, by field of a protocol's vocabulary.
    public var fields: [OperationField: OperationSet] = [:]

    public init() {}

    public mutating func merge(_ other: BaselineEdge) {
        firstSeen = [firstSeen, other.firstSeen].compactMap { $0 }.min()
        lastSeen = [lastSeen, other.lastSeen].compactMap { $0 }.max()
        flows += other.flows
        if let theirs = other.polling {
            if let mine = polling {
                // The slower cycle and the larger jitter: merged baselines must tolerate both.
                polling = PollingCycle(periodMilliseconds: max(mine.periodMilliseconds, theirs.periodMilliseconds),
                                       jitterMilliseconds: max(mine.jitterMilliseconds, theirs.jitterMilliseconds))
            } else {
                polling = theirs
            }
        }
        for (field, set) in other.fields { fields[field, default: OperationSet()].formUnion(set) }
    }

    /// The values listed for a set field (empty when none).
    public func values(_ field: OperationField) -> Set<OperationValue> { fields[field]?.values ?? [] }

    /// The ranges listed for a table of a range field.
    public func ranges(_ field: OperationField, table: String) -> AddressRanges? { fields[field]?.tables[table] }

    /// Whether the edge lists any operation of a protocol in a field that restricts it.
    public func restricts(_ protocolName: String) -> Bool {
        fields.contains { $0.key.protocolName == protocolName && $0.key.constrainsEdge && !$0.value.values.isEmpty }
    }

    /// Whether anything of the protocol is listed (its section is written in the file).
    public func lists(_ protocolName: String) -> Bool {
        fields.contains { $0.key.protocolName == protocolName && !$0.value.isEmpty }
    }
}

/// What one field of an edge holds: values (set fields), or ranges per table (range fields).
public struct OperationSet: Sendable, Equatable {
    public var values: Set<OperationValue> = []
    public var tables: [String: AddressRanges] = [:]
    public init() {}

    public var isEmpty: Bool { values.isEmpty && tables.isEmpty }

    public mutating func formUnion(_ other: OperationSet) {
        values.formUnion(other.values)
        for (table, ranges) in other.tables { tables[table, default: AddressRanges()].formUnion(ranges) }
    }
}
