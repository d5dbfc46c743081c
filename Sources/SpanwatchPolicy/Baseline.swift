import SpanwatchFlow
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
    public static let applications: Set<String> = ["modbus", "dnp3", "s7comm", "dns", "http", "mqtt"]
    /// Sets of names (topics, hosts) stop growing here; the edge then allows any (counted nowhere
    /// else, so the file says it: `truncated: true`).
    public static let maximumNames = 256

    public var firstSeen: Timestamp? = nil
    public var lastSeen: Timestamp? = nil
    public var flows: UInt64 = 0
    public var polling: PollingCycle? = nil

    public var modbus = ModbusOperations()
    public var dnp3 = DNP3Operations()
    public var s7comm = S7Operations()
    public var mqtt = MQTTOperations()
    public var http = HTTPOperations()

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
        modbus.merge(other.modbus)
        dnp3.merge(other.dnp3)
        s7comm.merge(other.s7comm)
        mqtt.merge(other.mqtt)
        http.merge(other.http)
    }
}

/// Modbus register tables, by the function codes that address them.
public enum ModbusTable: String, Sendable, CaseIterable, Comparable {
    case coils, discreteInputs = "discrete_inputs", holdingRegisters = "holding_registers", inputRegisters = "input_registers"

    public static func < (a: ModbusTable, b: ModbusTable) -> Bool { a.rawValue < b.rawValue }

    /// The table a read or write function addresses.
    public static func of(function: UInt8) -> ModbusTable? {
        switch function {
        case 1, 5, 15: .coils
        case 2: .discreteInputs
        case 3, 6, 16, 22, 23: .holdingRegisters
        case 4: .inputRegisters
        default: nil
        }
    }
}

public struct ModbusOperations: Sendable, Equatable {
    public var units: Set<UInt8> = []
    public var functions: Set<UInt8> = []
    public var reads: [ModbusTable: AddressRanges] = [:]
    public var writes: [ModbusTable: AddressRanges] = [:]
    public var isEmpty: Bool { units.isEmpty && functions.isEmpty }

    public mutating func merge(_ other: ModbusOperations) {
        units.formUnion(other.units)
        functions.formUnion(other.functions)
        for (table, ranges) in other.reads { reads[table, default: AddressRanges()].formUnion(ranges) }
        for (table, ranges) in other.writes { writes[table, default: AddressRanges()].formUnion(ranges) }
    }
}

public struct DNP3Operations: Sendable, Equatable {
    /// Link addresses of master and outstation.
    public var links: Set<DNP3LinkPair> = []
    /// Request function codes.
    public var functions: Set<UInt8> = []
    /// Object groups used in requests.
    public var groups: Set<UInt8> = []
    /// Point indexes written or operated, by object group.
    public var writes: [UInt8: AddressRanges] = [:]
    public var isEmpty: Bool { links.isEmpty && functions.isEmpty }

    public mutating func merge(_ other: DNP3Operations) {
        links.formUnion(other.links)
        functions.formUnion(other.functions)
        groups.formUnion(other.groups)
        for (group, ranges) in other.writes { writes[group, default: AddressRanges()].formUnion(ranges) }
    }
}

public struct S7Operations: Sendable, Equatable {
    /// Job function names (`READ_VAR`, `WRITE_VAR`, ...); userdata as `USERDATA:<group>`.
    public var functions: Set<String> = []
    /// Byte offsets written, by area (`DB1`, `M`, `Q`, ...).
    public var writes: [String: AddressRanges] = [:]
    /// PI services called (`P_PROGRAM`, `_INSE`, ...).
    public var piServices: Set<String> = []
    public var isEmpty: Bool { functions.isEmpty }

    public mutating func merge(_ other: S7Operations) {
        functions.formUnion(other.functions)
        for (area, ranges) in other.writes { writes[area, default: AddressRanges()].formUnion(ranges) }
        piServices.formUnion(other.piServices)
    }
}

public struct MQTTOperations: Sendable, Equatable {
    public var clientIDs: Set<String> = []
    public var publish: Set<String> = []
    public var subscribe: Set<String> = []
    public var isEmpty: Bool { clientIDs.isEmpty && publish.isEmpty && subscribe.isEmpty }

    public mutating func merge(_ other: MQTTOperations) {
        clientIDs.formUnion(other.clientIDs)
        publish.formUnion(other.publish)
        subscribe.formUnion(other.subscribe)
    }
}

public struct HTTPOperations: Sendable, Equatable {
    public var methods: Set<String> = []
    public var hosts: Set<String> = []
    public var isEmpty: Bool { methods.isEmpty && hosts.isEmpty }

    public mutating func merge(_ other: HTTPOperations) {
        methods.formUnion(other.methods)
        hosts.formUnion(other.hosts)
    }
}
