import SpanwatchFlow
import SpanwatchWire

/// The hosts seen in this run: an `asset` event when a plant host is first seen, and when it shows
/// a new role or a new or changed identity field. Bounded (`maximumHosts`; past it hosts are
/// counted, not tracked), so a flood of spoofed sources cannot grow it.
final class AssetInventory {
    static let maximumHosts = 65536
    static let maximumRoles = 16

    struct Entry {
        var mac: MACAddress?
        var roles: [String] = []
        var identity: [(field: StaticString, value: String)] = []
    }

    var entries: [IPAddress: Entry] = [:]
    private(set) var hostsDropped: UInt64 = 0

    /// A host sent (a client) or answered (a server).
    func seen(_ address: IPAddress, mac: MACAddress?, role: String?, context: EventContext, engine: PolicyEngine) {
        guard BaselineLearner.isTrackedHost(address, policy: engine.policy) else { return }
        let usable = mac.flatMap { $0.raw == 0 || $0.isMulticast ? nil : $0 }
        if var entry = entries[address] {
            guard let role, !entry.roles.contains(role), entry.roles.count < AssetInventory.maximumRoles else { return }
            entry.roles.append(role)
            entry.roles.sort()
            entries[address] = entry
            emit(address, entry, .role, context: context, engine: engine)
            return
        }
        guard entries.count < AssetInventory.maximumHosts else {
            hostsDropped += 1
            return
        }
        let entry = Entry(mac: usable, roles: role.map { [$0] } ?? [])
        entries[address] = entry
        emit(address, entry, .new, context: context, engine: engine)
    }

    /// Identity fields a server revealed (Modbus FC 43/14, S7 SZL, DNP3 group 0, HTTP Server).
    func identity<Event: ProtocolEvent>(_ event: Event, flow: Flow, context: EventContext, engine: PolicyEngine) {
        guard var entry = entries[flow.serverIP] else { return }
        var changed = false
        event.visitIdentity { field, value in
            guard !value.isEmpty else { return }
            if let index = entry.identity.firstIndex(where: { $0.field.description == field.description }) {
                guard entry.identity[index].value != value else { return }
                entry.identity[index].value = value
            } else {
                entry.identity.append((field, value))
                entry.identity.sort { $0.field.description < $1.field.description }
            }
            changed = true
        }
        guard changed else { return }
        entries[flow.serverIP] = entry
        emit(flow.serverIP, entry, .identity, context: context, engine: engine)
    }

    private func emit(_ address: IPAddress, _ entry: Entry, _ change: AssetEvent.Change, context: EventContext, engine: PolicyEngine) {
        let asset = AssetEvent(address: address, mac: entry.mac, vendor: entry.mac.flatMap(OUIVendors.vendor(of:)), roles: entry.roles,
                               identity: entry.identity, change: change)
        engine.writeAsset(asset, at: context)
    }
}
