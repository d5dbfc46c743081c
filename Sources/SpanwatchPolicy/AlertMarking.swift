import SpanwatchFlow
import SpanwatchWire

/// A maintenance window: authorised engineering work (a firmware update, the integrator's
/// program download) on named hosts, zones or conduits between `start` and `end`. Alerts that
/// involve them while the window is open are still written, marked with its name, at severity 3
/// (informational): recorded, never paging the SOC, never dropped. Windows expire by themselves.
public struct MaintenanceWindow: Sendable, Equatable {
    public var name: String
    /// Hosts by address or block (config host names resolved to theirs).
    public var hosts: [CIDR]
    public var zones: [String]
    /// Conduits as from-zone and to-zone.
    public var conduits: [ZonePair]
    /// Packet or wall time in microseconds: open on [start, end).
    public var start: Timestamp
    public var end: Timestamp
    public var reason: String
    public var owner: String

    public init(name: String, hosts: [CIDR] = [], zones: [String] = [], conduits: [ZonePair] = [], start: Timestamp, end: Timestamp,
                reason: String, owner: String) {
        self.name = name
        self.hosts = hosts
        self.zones = zones
        self.conduits = conduits
        self.start = start
        self.end = end
        self.reason = reason
        self.owner = owner
    }

    public enum State: String, Sendable { case pending, open, expired }

    public func state(at time: Timestamp) -> State { time < start ? .pending : time < end ? .open : .expired }

    /// Whether the alert's hosts, zones or zone pair are the window's.
    func covers(_ alert: AlertEvent, policy: ZonePolicy) -> Bool {
        let ends = [alert.sourceIP, alert.destinationIP].compactMap { $0 }
        if hosts.contains(where: { block in ends.contains { block.contains($0) } }) { return true }
        let alertZones = [alert.fromZone, alert.toZone].compactMap { $0 } + ends.compactMap { policy.zone(of: $0)?.name }
        if zones.contains(where: alertZones.contains) { return true }
        if let from = alert.fromZone, let to = alert.toZone, conduits.contains(ZonePair(from: from, to: to)) { return true }
        return false
    }

    /// Two windows are in conflict when they are open at the same time over a common target:
    /// which one would an alert name?
    public func overlaps(_ other: MaintenanceWindow) -> Bool {
        guard start < other.end && other.start < end else { return false }
        let sharesHost = hosts.contains { mine in other.hosts.contains { $0.contains(mine.network) || mine.contains($0.network) } }
        return sharesHost || zones.contains(where: other.zones.contains) || conduits.contains(where: other.conduits.contains)
    }
}

/// A conduit's direction: from one zone to another.
public struct ZonePair: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var from: String
    public var to: String
    public init(from: String, to: String) {
        self.from = from
        self.to = to
    }
    public var description: String { "\(from) -> \(to)" }
    /// `supervisory -> control`.
    public static func parse(_ text: String) -> ZonePair? {
        let characters = Array(text)
        guard let arrow = characters.indices.dropLast().first(where: { characters[$0] == "-" && characters[$0 + 1] == ">" }) else { return nil }
        let from = String(characters[..<arrow]).trimmedOfSpaces(), to = String(characters[(arrow + 2)...]).trimmedOfSpaces()
        guard !from.isEmpty, !to.isEmpty, !to.contains("->") else { return nil }
        return ZonePair(from: from, to: to)
    }
}

/// A mute: an alert pattern an operator has decided not to be paged for, yet (unlike approving
/// it into the baseline, which makes it normal). Muted alerts are still written, marked with the
/// rule's name, and counted. Every field set must match; a rule past `expires` matches nothing.
public struct MuteRule: Sendable, Equatable {
    public var name: String
    public var kind: AlertEvent.Kind?
    public var source: CIDR?
    public var destination: CIDR?
    /// The application protocol of the alert's flow (`modbus`, `dns`).
    public var protocolName: String?
    /// Text the alert's operation must name: a word of its baseline key's operation, or of its
    /// signature (`www.facebook.com`, `modbus.function 16`, `S7 PLC STOP`).
    public var operation: String?
    public var reason: String
    public var owner: String
    public var expires: Timestamp?

    public init(name: String, kind: AlertEvent.Kind? = nil, source: CIDR? = nil, destination: CIDR? = nil, protocolName: String? = nil,
                operation: String? = nil, reason: String, owner: String, expires: Timestamp? = nil) {
        self.name = name
        self.kind = kind
        self.source = source
        self.destination = destination
        self.protocolName = protocolName
        self.operation = operation
        self.reason = reason
        self.owner = owner
        self.expires = expires
    }

    public func isActive(at time: Timestamp) -> Bool { expires.map { time < $0 } ?? true }

    func matches(_ alert: AlertEvent, at time: Timestamp) -> Bool {
        guard isActive(at: time) else { return false }
        if let kind, alert.kind != kind { return false }
        if let source, !(alert.sourceIP.map(source.contains) ?? false) { return false }
        if let destination, !(alert.destinationIP.map(destination.contains) ?? false) { return false }
        if let protocolName, alert.appProtocol != protocolName { return false }
        if let operation {
            let key = alert.baselineKey.flatMap { $0.split(separator: "|", maxSplits: 1).dropFirst().first.map(String.init) } ?? ""
            guard key.contains(operation) || alert.signature.contains(operation) else { return false }
        }
        return true
    }
}

/// What the engine marks alerts with: the maintenance windows and mutes in force, with counts.
public struct AlertMarking: Sendable {
    public var windows: [MaintenanceWindow] = []
    public var mutes: [MuteRule] = []
    /// Alerts (and aggregate records) marked per window and per mute, by name.
    public private(set) var markedByWindow: [String: UInt64] = [:]
    public private(set) var mutedByRule: [String: UInt64] = [:]
    public init(windows: [MaintenanceWindow] = [], mutes: [MuteRule] = []) {
        self.windows = windows
        self.mutes = mutes
    }

    public var isEmpty: Bool { windows.isEmpty && mutes.isEmpty }

    /// A reload: the new windows and mutes, the counts kept.
    public mutating func replaceRules(with other: AlertMarking) {
        windows = other.windows
        mutes = other.mutes
    }

    /// Marks an alert about to be written at `time`: the open window covering it (severity 3),
    /// the first active mute matching it.
    mutating func mark(_ alert: inout AlertEvent, at time: Timestamp, policy: ZonePolicy) {
        if let window = windows.first(where: { $0.state(at: time) == .open && $0.covers(alert, policy: policy) }) {
            alert.maintenance = window.name
            alert.severity = 3
            markedByWindow[window.name, default: 0] += 1
        }
        if let rule = mutes.first(where: { $0.matches(alert, at: time) }) {
            alert.muted = rule.name
            mutedByRule[rule.name, default: 0] += 1
        }
    }
}
