/// libpcap link-layer header types (DLT values as `pcap_datalink` returns them).
public struct LinkType: RawRepresentable, Hashable, Sendable {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// BSD loopback: a 4-byte address family in host byte order of the capturing machine.
    public static let null = LinkType(rawValue: 0)
    public static let ethernet = LinkType(rawValue: 1)
    /// Raw IP (DLT_RAW on Linux; LINKTYPE_RAW 101 in files maps to it).
    public static let raw = LinkType(rawValue: 12)
    public static let rawOpenBSD = LinkType(rawValue: 14)
    public static let linktypeRaw = LinkType(rawValue: 101)
    /// OpenBSD loopback: address family in network byte order.
    public static let loop = LinkType(rawValue: 108)
    public static let linuxCooked = LinkType(rawValue: 113)
    public static let rawIPv4 = LinkType(rawValue: 228)
    public static let rawIPv6 = LinkType(rawValue: 229)
    public static let linuxCooked2 = LinkType(rawValue: 276)

    public var isSupported: Bool {
        switch self {
        case .null, .ethernet, .raw, .rawOpenBSD, .linktypeRaw, .loop, .linuxCooked, .rawIPv4, .rawIPv6, .linuxCooked2: true
        default: false
        }
    }
}

/// EtherType values the decoder follows.
public enum EtherType {
    public static let ipv4: UInt16 = 0x0800
    public static let arp: UInt16 = 0x0806
    public static let vlan: UInt16 = 0x8100
    public static let qinq: UInt16 = 0x88A8
    public static let qinqLegacy: UInt16 = 0x9100
    public static let ipv6: UInt16 = 0x86DD
}
