import SpanwatchFlow
@_exported import SpanwatchJSON
import SpanwatchWire

/// Renders events as Suricata-EVE-compatible JSON lines (see ../shared/spec/CONTRACT.md §2).
public final class EveFormatter {
    /// Sensor name (`host`, and the prefix of `spanwatch.event_id`).
    public let sensorName: String
    public private(set) var sequence: UInt64
    let scratch = JSONLineBuilder(capacity: 8192)
    /// Where a flow's envelope fields are rendered before they are cached on the flow.
    let envelope = JSONLineBuilder(capacity: 512)

    /// With a reservation (`SequenceReservation`): the last `seq` reserved on disk, and how to
    /// reserve the next block when it is reached, so that a restart never reuses a number.
    var sequenceLimit: UInt64 = .max
    var extendSequence: (() -> UInt64)? = nil

    /// Continues `seq` from a reservation made by an earlier run.
    public func continueSequence(_ reservation: SequenceReservation) {
        sequence = reservation.first
        sequenceLimit = reservation.reservedUntil
        extendSequence = { reservation.extend() }
    }

    /// Renders every event it is given: which types go where is the writer's (each of
    /// `EveWriter`'s outputs takes its own types).
    public init(sensorName: String, firstSequence: UInt64 = 1) {
        self.sensorName = sensorName
        self.sequence = firstSequence
    }

    public static func eventType(of body: EventBody) -> String { body.eventType.description }

    /// Renders one event line (with its newline) and hands the bytes to `write` (tests).
    public func render(_ context: EventContext, _ body: EventBody, write: ([UInt8]) -> Void) {
        scratch.removeAll()
        render(context, body, into: scratch)
        write(scratch.bytes)
    }

    /// Appends one event line (with its newline) to `builder`, and takes the next `seq`.
    public func render(_ context: EventContext, _ body: EventBody, into builder: JSONLineBuilder) {
        if case .application(let event) = body {
            render(context, application: event, into: builder)
            return
        }
        renderRecord(context, body.eventType, body, into: builder) {
            if case .alert(let alert) = body {
                EveFormatter.writeAlert(alert, into: builder)
                if let evidence = alert.evidence { writeObject(of: evidence.body, flow: context.flow, into: builder) }
            } else {
                writeObject(of: body, flow: context.flow, into: builder)
            }
        }
    }

    /// A protocol event's line: the envelope, then the protocol's own members.
    public func render<Event: ProtocolEvent>(_ context: EventContext, application event: Event, into builder: JSONLineBuilder) {
        renderRecord(context, Event.eventType, nil, into: builder) { event.writeEve(into: builder) }
    }

    /// The envelope (timestamp, flow, addresses, host, ether), the event's members, and the
    /// `spanwatch` object; `body` is nil for a protocol event.
    private func renderRecord(_ context: EventContext, _ eventType: EventType, _ body: EventBody?, into builder: JSONLineBuilder,
                              members: () -> Void) {
        builder.beginObject()
        builder.field("timestamp", timestamp: context.timestamp)
        let flow = context.flow
        if let flow { builder.field("flow_id", flow.id) }
        if let iface = context.interface { builder.field("in_iface", iface) }
        if context.pcapCount > 0 { builder.field("pcap_cnt", context.pcapCount) }
        builder.field("event_type", eventType.name)
        if let flow {
            // The flow's constant fields are rendered once (again only if its app protocol changes).
            let tag = flow.appProto.tag
            if flow.renderedEnvelopeTag != tag {
                envelope.removeAll()
                envelope.beginObject()
                writeFlowFields(flow, into: envelope)
                envelope.copyMembers(into: &flow.renderedEnvelope)
                flow.renderedEnvelopeTag = tag
            }
            builder.appendMembers(flow.renderedEnvelope)
        } else if case .anomaly(let anomaly)? = body {
            if let source = anomaly.sourceIP { builder.field("src_ip", ip: source) }
            if let destination = anomaly.destinationIP { builder.field("dest_ip", ip: destination) }
        } else if case .alert(let alert)? = body {
            if let source = alert.sourceIP { builder.field("src_ip", ip: source) }
            if let destination = alert.destinationIP { builder.field("dest_ip", ip: destination) }
        }
        builder.field("host", sensorName)
        if let direction = context.direction, case .anomaly? = body {
            builder.field("direction", direction == .toServer ? "to_server" as StaticString : "to_client")
        }
        if let flow, flow.hasEthernet {
            builder.beginObject("ether")
            builder.field("src_mac", mac: flow.clientMAC)
            builder.field("dest_mac", mac: flow.serverMAC)
            builder.endObject()
        }

        members()

        builder.beginObject("spanwatch")
        builder.field("seq", sequence)
        builder.field("event_id", sensorName, colon: sequence)
        if let flow, flow.tunnelCount > 0 { writeTunnels(flow, into: builder) }
        if case .anomaly(let anomaly)? = body {
            if anomaly.kind == .stream {
                if let sequenceNumber = anomaly.sequence {
                    builder.beginObject("overlap")
                    builder.field("policy", "first" as StaticString)
                    builder.field("seq", sequenceNumber)
                    if let length = anomaly.length { builder.field("len", length) }
                    builder.endObject()
                } else if let length = anomaly.length {
                    builder.field("gap_bytes", length)
                }
            }
            if anomaly.suppressedBefore > 0 { builder.field("suppressed_before", anomaly.suppressedBefore) }
        }
        if case .alert(let alert)? = body {
            builder.field("kind", alert.kind.rawValue)
            // The flow's first alert is the one the others of the flow follow (`related`).
            if let flow, alert.aggregate == nil {
                if flow.firstAlertSequence == 0 {
                    flow.firstAlertSequence = sequence
                } else {
                    builder.field("related", flow.firstAlertSequence)
                }
            }
            if let values = alert.values { builder.field("values", values) }
            if let window = alert.maintenance { builder.field("maintenance", window) }
            if let rule = alert.muted { builder.field("muted", rule) }
            if let key = alert.baselineKey { builder.field("baseline_key", key) }
            if let from = alert.fromZone { builder.field("src_zone", from) }
            if let to = alert.toZone { builder.field("dest_zone", to) }
            if let aggregate = alert.aggregate {
                builder.beginObject("aggregate")
                builder.field("count", aggregate.count)
                builder.field("total", aggregate.total)
                builder.field("first_seen", timestamp: aggregate.firstSeen)
                builder.field("last_seen", timestamp: aggregate.lastSeen)
                if aggregate.firstHeldBack { builder.field("first_held_back", true) }
                if let values = aggregate.firstValues { builder.field("first_values", values) }
                if let values = aggregate.lastValues { builder.field("last_values", values) }
                builder.endObject()
            }
        }
        if case .flow? = body, let flow {
            builder.field("midstream", flow.midstream)
            if flow.anomalies > 0 {
                builder.field("anomalies", flow.anomalies)
                if flow.anomaliesSuppressed > 0 { builder.field("anomalies_suppressed", flow.anomaliesSuppressed) }
            }
        }
        builder.endObject()
        builder.endObject()
        builder.newline()
        sequence += 1
        if sequence > sequenceLimit { sequenceLimit = extendSequence?() ?? .max }
    }

    /// The event's protocol object (for an alert: the object of the traffic that raised it).
    private func writeObject(of body: EventBody, flow: Flow?, into builder: JSONLineBuilder) {
        switch body {
        case .application(let event):
            event.writeEve(into: builder)
        case .alert(let alert):
            EveFormatter.writeAlert(alert, into: builder)
        case .asset(let asset):
            builder.beginObject("asset")
            builder.field("ip", ip: asset.address)
            if let mac = asset.mac { builder.field("mac", mac: mac) }
            if let vendor = asset.vendor { builder.field("vendor", vendor) }
            if !asset.roles.isEmpty {
                builder.beginArray("roles")
                for role in asset.roles { builder.element(role) }
                builder.endArray()
            }
            if !asset.identity.isEmpty {
                builder.beginObject("identity")
                for entry in asset.identity { builder.field(entry.field, entry.value) }
                builder.endObject()
            }
            builder.field("change", asset.change.rawValue)
            builder.endObject()
        case .stats(let stats):
            builder.beginObject("stats")
            if let uptime = stats.uptime { builder.field("uptime", uptime) }
            for section in stats.sections {
                builder.beginObject(section.name)
                for entry in section.values { builder.field(entry.name, entry.value) }
                if let breakdown = section.breakdown,
                   breakdown.instances.contains(where: { !breakdown.eveOmitsZeros || $0.values.contains { $0.value != 0 } }) {
                    builder.beginObject(breakdown.key)
                    for instance in breakdown.instances where !breakdown.eveOmitsZeros || instance.values.contains(where: { $0.value != 0 }) {
                        builder.beginObject(named: instance.name)
                        for entry in instance.values { builder.field(entry.name, entry.value) }
                        builder.endObject()
                    }
                    builder.endObject()
                }
                builder.endObject()
            }
            builder.endObject()
        case .flow(let reason):
            if let flow { writeFlow(flow, reason: reason, into: builder) }
        case .anomaly(let anomaly):
            builder.beginObject("anomaly")
            builder.field("type", anomaly.kind.rawValue)
            builder.field("event", anomaly.event)
            builder.field("layer", anomaly.layer)
            builder.endObject()
        }
    }

    /// vlan, src/dest address and port, proto, ICMP type/code, app_proto, community_id.
    private func writeFlowFields(_ flow: Flow, into builder: JSONLineBuilder) {
        writeVLAN(flow, into: builder)
        builder.field("src_ip", ip: flow.clientIP)
        if flow.transport == .tcp || flow.transport == .udp { builder.field("src_port", flow.clientPort) }
        builder.field("dest_ip", ip: flow.serverIP)
        if flow.transport == .tcp || flow.transport == .udp { builder.field("dest_port", flow.serverPort) }
        EveFormatter.writeProtocol(flow.ipProtocol, into: builder)
        if flow.transport == .icmp || flow.transport == .icmpv6 {
            builder.field("icmp_type", flow.icmpType)
            builder.field("icmp_code", flow.icmpCode)
        }
        if let app = flow.appProto.eveName { builder.field("app_proto", app) }
        builder.field("community_id", flow.communityID)
        // Suricata's `tunnel`: the outermost IP packet of an encapsulated flow.
        if flow.tunnelCount > 0, flow.outerSourceIP != .none {
            builder.beginObject("tunnel")
            builder.field("src_ip", ip: flow.outerSourceIP)
            builder.field("dest_ip", ip: flow.outerDestinationIP)
            if flow.outerIPProtocol == 6 || flow.outerIPProtocol == 17 {
                builder.field("src_port", flow.outerSourcePort)
                builder.field("dest_port", flow.outerDestinationPort)
            }
            EveFormatter.writeProtocol(flow.outerIPProtocol, into: builder)
            builder.field("depth", flow.tunnelCount)
            builder.endObject()
        }
    }

    /// `spanwatch.tunnels`: each encapsulation, outermost first, with its identifier.
    private func writeTunnels(_ flow: Flow, into builder: JSONLineBuilder) {
        builder.beginArray("tunnels")
        for index in 0..<Int(flow.tunnelCount) {
            let layer = flow.tunnels[index]
            builder.beginObject()
            builder.field("type", layer.type.name)
            if layer.hasIdentifier, let name = layer.type.identifierName { builder.field(name, layer.identifier) }
            if layer.version > 0 { builder.field("version", layer.version) }
            if layer.type == .erspan2 || layer.type == .erspan3 { builder.field("vlan", layer.vlan) }
            builder.endObject()
        }
        builder.endArray()
    }

    private func writeVLAN(_ flow: Flow, into builder: JSONLineBuilder) {
        guard flow.vlanCount > 0 else { return }
        builder.beginArray("vlan")
        builder.element(flow.outerVLAN)
        if flow.vlanCount > 1 { builder.element(flow.innerVLAN) }
        builder.endArray()
    }

    private func writeFlow(_ flow: Flow, reason: FlowEndReason, into builder: JSONLineBuilder) {
        builder.beginObject("flow")
        builder.field("pkts_toserver", flow.packetsToServer)
        builder.field("pkts_toclient", flow.packetsToClient)
        builder.field("bytes_toserver", flow.bytesToServer)
        builder.field("bytes_toclient", flow.bytesToClient)
        builder.field("start", timestamp: flow.startTime)
        builder.field("end", timestamp: flow.lastTime)
        builder.field("age", (flow.lastTime - flow.startTime) / 1_000_000)
        builder.field("state", flow.stateName)
        builder.field("reason", reason.rawValue)
        builder.field("alerted", flow.alerted)
        if let name = flow.dnsName { builder.field("dns_name", name) }
        builder.endObject()
        if flow.transport == .tcp {
            let all = flow.tcpFlagsToServer.union(flow.tcpFlagsToClient)
            builder.beginObject("tcp")
            builder.field("tcp_flags", hexByte: all.rawValue)
            builder.field("tcp_flags_ts", hexByte: flow.tcpFlagsToServer.rawValue)
            builder.field("tcp_flags_tc", hexByte: flow.tcpFlagsToClient.rawValue)
            if all.contains(.syn) { builder.field("syn", true) }
            if all.contains(.fin) { builder.field("fin", true) }
            if all.contains(.rst) { builder.field("rst", true) }
            if all.contains(.psh) { builder.field("psh", true) }
            if all.contains(.ack) { builder.field("ack", true) }
            builder.field("state", flow.tcpState.name)
            if flow.reassemblyGaps > 0 { builder.field("gaps", flow.reassemblyGaps) }
            builder.endObject()
        }
    }

    /// Suricata's `alert` object: a passive sensor blocks nothing, so `action` is always allowed.
    static func writeAlert(_ alert: AlertEvent, into builder: JSONLineBuilder) {
        builder.beginObject("alert")
        builder.field("action", "allowed" as StaticString)
        builder.field("gid", 1)
        builder.field("signature_id", alert.signatureID)
        builder.field("rev", 1)
        builder.field("signature", alert.signature)
        builder.field("category", alert.category)
        builder.field("severity", alert.severity)
        if let technique = alert.technique {
            builder.beginObject("metadata")
            builder.beginArray("mitre_technique_id")
            builder.element(technique.id)
            builder.endArray()
            builder.beginArray("mitre_technique_name")
            builder.element(technique.name)
            builder.endArray()
            builder.endObject()
        }
        builder.endObject()
    }

    /// `proto`: the IANA keyword Suricata writes, or the number as text.
    static func writeProtocol(_ number: UInt8, into builder: JSONLineBuilder) {
        switch number {
        case 6: builder.field("proto", "TCP" as StaticString)
        case 17: builder.field("proto", "UDP" as StaticString)
        case 1: builder.field("proto", "ICMP" as StaticString)
        case 58: builder.field("proto", "IPv6-ICMP" as StaticString)
        default: builder.field("proto", protocolName(number))
        }
    }

    public static func protocolName(_ number: UInt8) -> String {
        switch number {
        case 6: "TCP"
        case 17: "UDP"
        case 1: "ICMP"
        case 58: "IPv6-ICMP"
        case 132: "SCTP"
        case 47: "GRE"
        case 4: "IPv4"  // IP in IP (IANA keywords, as Suricata writes them)
        case 41: "IPv6"
        case 50: "ESP"
        case 51: "AH"
        default: String(number)
        }
    }
}
