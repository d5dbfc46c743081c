import SpanwatchFlow
import SpanwatchProtocols
import SpanwatchWire

/// An address block: `10.10.0.0/16`, `fd00::/8`, or a single address.
public struct CIDR: Sendable, Equatable, CustomStringConvertible {
    public var network: IPAddress
    public var prefixLength: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = IPAddress(String(parts[0])) else { return nil }
        let maximum = address.isIPv6 ? 128 : 32
        if parts.count == 2 {
            guard let length = Int(parts[1]), length >= 0, length <= maximum else { return nil }
            prefixLength = length
        } else {
            prefixLength = maximum
        }
        network = CIDR.masked(address, prefixLength)
    }

    public var description: String { "\(network)/\(prefixLength)" }

    public func contains(_ address: IPAddress) -> Bool {
        address.isIPv6 == network.isIPv6 && CIDR.masked(address, prefixLength) == network
    }

    static func masked(_ address: IPAddress, _ length: Int) -> IPAddress {
        if !address.isIPv6 {
            let mask: UInt32 = length == 0 ? 0 : ~UInt32(0) << UInt32(32 - length)
            return IPAddress(ipv4: address.ipv4 & mask)
        }
        let highMask: UInt64 = length >= 64 ? ~0 : (length == 0 ? 0 : ~UInt64(0) << UInt64(64 - length))
        let lowMask: UInt64 = length <= 64 ? 0 : (length >= 128 ? ~0 : ~UInt64(0) << UInt64(128 - length))
        return IPAddress(ipv6High: address.high & highMask, low: address.low & lowMask)
    }
}

/// A zone of the plant's target architecture (IEC 62443 zones): its address blocks, whether its
/// hosts may reach the internet, and the DNS domains that are local to it.
public struct Zone: Sendable, Equatable {
    public var name: String
    public var cidrs: [CIDR]
    public var internetAllowed: Bool
    public var localDomains: [String]
    /// A host first seen here while monitoring gets this long (microseconds) as a new device:
    /// its ordinary flows and operations become a baseline proposal instead of alerts (nil: off).
    public var learnNewDevices: Timestamp?
    /// How its hosts resolve overlapping IP fragments (Suricata's host-os-policy); nil: the default.
    public var fragmentPolicy: FragmentPolicy? = nil

    public init(name: String, cidrs: [CIDR], internetAllowed: Bool = false, localDomains: [String] = [], learnNewDevices: Timestamp? = nil) {
        self.name = name
        self.cidrs = cidrs
        self.internetAllowed = internetAllowed
        self.localDomains = localDomains
        self.learnNewDevices = learnNewDevices
    }
}

/// A service a conduit carries: an application protocol (`modbus`), or a transport and port
/// (`tcp/502`, `udp/161`), or any port of a transport (`tcp`), or everything (`any`).
public enum Service: Sendable, Equatable, CustomStringConvertible {
    case application(AppProtocol)
    case port(transport: TransportLayer, port: UInt16?)
    case any

    public init?(_ text: String) {
        let lower = text.lowercased()
        switch lower {
        case "any": self = .any
        default:
            if let app = ProtocolRegistry.standard.named(lower) {
                self = .application(app)
                return
            }
            let parts = lower.split(separator: "/", omittingEmptySubsequences: false)
            let transport: TransportLayer
            switch parts[0] {
            case "tcp": transport = .tcp
            case "udp": transport = .udp
            case "icmp": transport = .icmp
            default: return nil
            }
            if parts.count == 1 { self = .port(transport: transport, port: nil); return }
            guard parts.count == 2, let port = UInt16(parts[1]) else { return nil }
            self = .port(transport: transport, port: port)
        }
    }

    public var description: String {
        switch self {
        case .any: "any"
        case .application(let proto): proto.eveName ?? "unknown"
        case .port(let transport, let port):
            (transport == .tcp ? "tcp" : transport == .udp ? "udp" : "icmp") + (port.map { "/\($0)" } ?? "")
        }
    }

    /// Whether a flow with this transport, server port and (detected) application is this service.
    /// `ended`: the flow ended without its protocol settled (no payload: refused, or a device
    /// that never answered). It cannot show its protocol; on the protocol's registered port it
    /// gets the benefit of the doubt, so a poller retrying a dead PLC is not a zone violation.
    /// While a flow runs, an application service is decided by the protocol, never the port.
    public func matches(transport: TransportLayer, serverPort: UInt16, app: AppProtocol, ended: Bool = false) -> Bool {
        switch self {
        case .any: true
        case .application(let proto):
            app == proto || (ended && app == .unknown && (proto.definition?.defaultPorts.contains(serverPort) ?? false)
                && (proto.definition?.transports.contains(transport) ?? false))
        case .port(let wanted, let port): wanted == transport && (port == nil || port == serverPort)
        }
    }
}

/// An allowed path between zones: clients in `from` may open `services` to servers in `to`.
public struct Conduit: Sendable, Equatable {
    public var from: String
    public var to: String
    public var services: [Service]

    public init(from: String, to: String, services: [Service]) {
        self.from = from
        self.to = to
        self.services = services
    }
}

/// The target architecture: zones and the conduits between them. Addresses in no zone are the
/// outside world (`external`); traffic inside one zone is allowed unless conduits say otherwise
/// for that zone (`intraZone`).
public struct ZonePolicy: Sendable, Equatable {
    public static let external = "external"
    public var zones: [Zone]
    public var conduits: [Conduit]

    public init(zones: [Zone] = [], conduits: [Conduit] = []) {
        self.zones = zones
        self.conduits = conduits
    }

    public var isEmpty: Bool { zones.isEmpty }

    /// The zone of an address: the one with the most specific matching block.
    /// Whether a destination is not a host but a broadcast or multicast group the sender reaches
    /// on its own segment: multicast, the limited broadcast, or a directed broadcast (an IPv4
    /// address ending in 255) that lies outside every zone and whose network (the /24, /16 or /8
    /// its trailing 255s mark) holds the sender. The real subnet may be wider than the zones cut
    /// from it: BACnet Who-Is, EtherNet/IP ListIdentity, NetBIOS and SSDP discovery go there.
    /// Such traffic is judged by the sender's zone (it stays on the sender's segment).
    public func isSegmentBroadcast(_ destination: IPAddress, from sender: IPAddress) -> Bool {
        if destination.isMulticastOrBroadcast { return true }
        guard !destination.isIPv6, !sender.isIPv6, destination.ipv4 & 0xFF == 0xFF, zone(of: destination) == nil else { return false }
        // The host part: the run of trailing 255 octets, at most three (a /8).
        let hostBits: UInt32
        switch destination.ipv4 {
        case let value where value & 0x00FF_FFFF == 0x00FF_FFFF: hostBits = 0x00FF_FFFF
        case let value where value & 0x0000_FFFF == 0x0000_FFFF: hostBits = 0x0000_FFFF
        default: hostBits = 0x0000_00FF
        }
        return destination.ipv4 & ~hostBits == sender.ipv4 & ~hostBits
    }

    public func zone(of address: IPAddress) -> Zone? {
        var best: (zone: Zone, length: Int)? = nil
        for zone in zones {
            for cidr in zone.cidrs where cidr.contains(address) && cidr.prefixLength > (best?.length ?? -1) {
                best = (zone, cidr.prefixLength)
            }
        }
        return best?.zone
    }

    /// Whether a flow from a client zone to a server zone is allowed: the same zone always is;
    /// otherwise a conduit from → to must carry the service.
    public func allows(from: String, to: String, transport: TransportLayer, serverPort: UInt16, app: AppProtocol, ended: Bool = false) -> Bool {
        if from == to { return true }
        // A zone allowed to reach the internet may open anything to the outside.
        if to == ZonePolicy.external, zones.contains(where: { $0.name == from && $0.internetAllowed }) { return true }
        return conduits.contains { conduit in
            conduit.from == from && conduit.to == to
                && conduit.services.contains { $0.matches(transport: transport, serverPort: serverPort, app: app, ended: ended) }
        }
    }

    /// Whether `name` is inside one of the zone's local DNS domains (or a single-label name).
    public static func isLocal(_ name: String, in zone: Zone) -> Bool {
        let lower = name.lowercased()
        if !lower.contains(".") || lower.hasSuffix(".local") || lower.hasSuffix(".arpa") { return true }
        return zone.localDomains.contains { domain in
            let d = domain.lowercased()
            return lower == d || lower.hasSuffix("." + d)
        }
    }

    /// Addresses that are not on the internet: private, loopback, link-local, multicast,
    /// documentation-free special ranges (RFC 6890); everything else is public.
    public static func isPublic(_ address: IPAddress) -> Bool {
        if !address.isIPv6 {
            let v = address.ipv4
            let a = v >> 24, b = (v >> 16) & 0xFF
            if a == 10 || a == 127 || a == 0 || a >= 224 { return false }
            if a == 172 && (16...31).contains(b) { return false }
            if a == 192 && b == 168 { return false }
            if a == 169 && b == 254 { return false }
            if a == 100 && (64...127).contains(b) { return false }  // carrier-grade NAT
            return true
        }
        let first = address.high >> 48
        if address.high == 0 && (address.low == 1 || address.low == 0) { return false }
        if first & 0xFE00 == 0xFC00 { return false }  // unique local fc00::/7
        if first & 0xFFC0 == 0xFE80 { return false }  // link-local fe80::/10
        if first & 0xFF00 == 0xFF00 { return false }  // multicast
        if address.high == 0 && address.low >> 32 == 0xFFFF { return isPublic(IPAddress(ipv4: UInt32(truncatingIfNeeded: address.low))) }
        return true
    }
}
