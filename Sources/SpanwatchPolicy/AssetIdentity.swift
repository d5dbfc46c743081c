import SpanwatchFlow
import SpanwatchWire

/// What traffic reveals about a device: identity fields come from the protocols' events
/// (`ProtocolEvent.visitIdentity`), roles from the protocol a flow speaks.
public enum AssetIdentity {
    /// The roles of the flow's client and server once its protocol is known.
    public static func roles(_ app: AppProtocol) -> (client: String, server: String)? { app.definition?.roles }
}

/// Vendors by MAC OUI: the automation and network vendors a plant is made of. A short built-in
/// table, so the baseline reads the same on every machine (no system OUI file is consulted).
public enum OUIVendors {
    static let table: [UInt32: String] = [
        0x001B1B: "Siemens", 0x000E8C: "Siemens", 0x001C06: "Siemens", 0x080006: "Siemens", 0x00A045: "Phoenix Contact",
        0x28634F: "Siemens", 0xE0DCA0: "Siemens", 0x8CF319: "Siemens",
        0x0000BC: "Rockwell Automation", 0x001D9C: "Rockwell Automation", 0x5C8816: "Rockwell Automation", 0xE49069: "Rockwell Automation",
        0x000054: "Schneider Electric", 0x0080F4: "Schneider Electric", 0x006065: "Schneider Electric", 0x00800F: "Schneider Electric",
        0x00A0F0: "Wago", 0x0030DE: "Wago", 0x00E04B: "Beckhoff",
        0x000D8B: "Moxa", 0x0090E8: "Moxa", 0x00A0A5: "Hirschmann", 0x008063: "Hirschmann", 0x000BAB: "Advantech",
        0x0001C0: "CompuLab", 0x00D0C9: "Advantech", 0x001C7E: "Toshiba", 0x0003EA: "Mitsubishi Electric",
        0x00A0DE: "Yokogawa", 0x0030A7: "Schweitzer Engineering Laboratories", 0x0000F4: "Allied Telesis", 0x00005E: "IANA (VRRP)", 0xB827EB: "Raspberry Pi Foundation",
        0xDCA632: "Raspberry Pi Trading", 0xE45F01: "Raspberry Pi Trading", 0x2CCF67: "Raspberry Pi Trading",
        0x000C29: "VMware", 0x005056: "VMware", 0x080027: "Oracle VirtualBox", 0x525400: "QEMU/KVM",
        0x00155D: "Microsoft Hyper-V", 0x3C5282: "Hewlett Packard", 0x001B21: "Intel", 0x00E018: "Asustek", 0xF0DEF1: "Wistron",
        0x00000C: "Cisco", 0x001A2F: "Cisco", 0x0019E7: "Cisco", 0x24E9B3: "Cisco", 0x000D65: "Cisco",
        0x18FE34: "Espressif", 0x240AC4: "Espressif", 0x30AEA4: "Espressif", 0xA4CF12: "Espressif", 0x3C71BF: "Espressif",
    ]

    public static func vendor(of mac: MACAddress) -> String? {
        guard mac.raw & 0x0200_0000_0000 == 0 else { return "locally administered" }
        return table[UInt32(truncatingIfNeeded: mac.raw >> 24)]
    }
}
