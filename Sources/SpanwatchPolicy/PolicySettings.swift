import SpanwatchFlow
import SpanwatchWire

/// Hosts the plant names (config `hosts:`), by address or address block.
public struct NamedHost: Sendable, Equatable {
    public var block: CIDR
    public var name: String
    public var roles: [String]
    public init(block: CIDR, name: String, roles: [String] = []) {
        self.block = block
        self.name = name
        self.roles = roles
    }
}

/// Critical operations the plant allows on an edge (config `allowed_operations:`): for example
/// program downloads from the engineering workstation to the PLCs of one cell.
public struct OperationAllowance: Sendable, Equatable {
    /// Named hosts, zones or address blocks.
    public var from: [CIDR]
    public var to: [CIDR]
    /// `program_download`, `program_upload`, `mode_change`, `restart`, ... or `any`.
    public var operations: Set<String>
    public init(from: [CIDR], to: [CIDR], operations: Set<String>) {
        self.from = from
        self.to = to
        self.operations = operations
    }

    public static var operationNames: Set<String> { CriticalOperation.categories.union(["any"]) }

    func allows(_ category: String, client: IPAddress, server: IPAddress) -> Bool {
        (operations.contains(category) || operations.contains("any"))
            && from.contains { $0.contains(client) } && to.contains { $0.contains(server) }
    }
}

/// Everything the policy layer is configured with besides the zones.
public struct PolicySettings: Sendable, Equatable {
    public var alerts = AlertSettings()
    public var hosts: [NamedHost] = []
    public var allowedOperations: [OperationAllowance] = []
    public init() {}

    /// The most specific named block holding the address.
    public func host(_ address: IPAddress) -> NamedHost? {
        var best: NamedHost? = nil
        for host in hosts where host.block.contains(address) {
            if best == nil || host.block.prefixLength > best!.block.prefixLength { best = host }
        }
        return best
    }
}
