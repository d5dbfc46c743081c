import SpanwatchCapture
import SpanwatchFlow
import SpanwatchOutput
import SpanwatchPolicy

/// The `stats` event: what the sensor saw, decoded, tracked, raised and delivered, with the
/// kernel's counters when capturing live (Suricata's names where it has them).
public enum StatsReport {
    /// Maintenance windows (pending, open, expired, and the alerts each marked) and mutes (in
    /// force or expired, and the alerts each muted), at the engine's clock.
    static func markingSections(_ policy: PolicyEngine) -> [StatsEvent.Section] {
        let marking = policy.marking
        guard !marking.isEmpty else { return [] }
        let now = policy.clock ?? 0
        let states = marking.windows.map { $0.state(at: now) }
        var maintenance = StatsEvent.Section("maintenance", [
            "windows_pending": UInt64(states.filter { $0 == .pending }.count), "windows_open": UInt64(states.filter { $0 == .open }.count),
            "windows_expired": UInt64(states.filter { $0 == .expired }.count),
            "alerts_marked": marking.markedByWindow.values.reduce(0, +),
        ])
        maintenance.breakdown = StatsEvent.Breakdown(key: "windows", label: "window", instances: marking.windows.map { window in
            let state = window.state(at: now)
            let values: [(name: StaticString, value: UInt64)] = [
                ("window_open", state == .open ? 1 : 0), ("window_expired", state == .expired ? 1 : 0),
                ("window_alerts", marking.markedByWindow[window.name] ?? 0),
            ]
            return (window.name, values)
        })
        var mutes = StatsEvent.Section("mutes", [
            "rules_active": UInt64(marking.mutes.filter { $0.isActive(at: now) }.count),
            "rules_expired": UInt64(marking.mutes.filter { !$0.isActive(at: now) }.count),
            "alerts_muted": marking.mutedByRule.values.reduce(0, +),
        ])
        mutes.breakdown = StatsEvent.Breakdown(key: "rules", label: "rule", instances: marking.mutes.map { rule in
            let values: [(name: StaticString, value: UInt64)] = [
                ("rule_active", rule.isActive(at: now) ? 1 : 0), ("rule_alerts", marking.mutedByRule[rule.name] ?? 0),
            ]
            return (rule.name, values)
        })
        return [maintenance, mutes]
    }

    public static func make(processor: PacketProcessor, policy: PolicyEngine?, interfaces: [InterfaceStatus] = [],
                            outputs: OutputAssembly? = nil, uptime: Int64? = nil) -> StatsEvent {
        let c = processor.counters
        let t = processor.table.counters
        var sections: [StatsEvent.Section] = []
        if !interfaces.isEmpty {
            var total = KernelCounters()
            for interface in interfaces { total.add(interface.kernel) }
            var capture = StatsEvent.Section("capture", [
                "kernel_packets": total.packets, "kernel_drops": total.drops, "kernel_ifdrops": total.interfaceDrops,
            ])
            capture.breakdown = StatsEvent.Breakdown(key: "interfaces", label: "interface", instances: interfaces.map { interface in
                let values: [(name: StaticString, value: UInt64)] = [
                    ("packets", interface.packets), ("kernel_packets", interface.kernel.packets), ("kernel_drops", interface.kernel.drops),
                    ("kernel_ifdrops", interface.kernel.interfaceDrops), ("up", interface.capturing ? 1 : 0), ("reopens", interface.reopens),
                ]
                return (interface.name, values)
            })
            sections.append(capture)
        }
        sections.append(StatsEvent.Section("decoder", [
            "pkts": c.packets, "bytes": c.bytes, "invalid": c.invalid, "ipv4": c.ipv4, "ipv6": c.ipv6, "tcp": c.tcp, "udp": c.udp,
            "icmp": c.icmp, "vlan": c.vlanTagged, "fragments_skipped": c.fragmentsSkipped, "snap_truncated": c.snapTruncated,
        ]))
        sections.append(StatsEvent.Section("flow", [
            "created": t.created, "active": UInt64(processor.table.active), "timed_out": t.timedOut, "closed": t.closed,
            "evicted_memcap": t.evicted, "evicted_closed": t.evictedClosed, "evicted_new": t.evictedNew,
            "evicted_established": t.evictedEstablished, "shutdown": t.flushedAtShutdown, "reused": t.reused, "peak_active": UInt64(t.peakActive),
        ]))
        sections.append(StatsEvent.Section("tcp", ["reassembly_gaps": c.reassemblyGaps, "overlap_different_data": c.overlapsDifferent]))
        let d = processor.fragmentCounters
        sections.append(StatsEvent.Section("defrag", [
            "fragments": d.fragments, "reassembled": d.reassembled, "timeouts": d.timedOut, "memcap": d.evictedMemcap,
            "overlaps_different_data": d.overlaps, "dropped": d.dropped, "pending_bytes": UInt64(max(d.pendingBytes, 0)),
        ]))
        // Loss upstream of the kernel (a SPAN port drops in the switch): ACKed data never seen.
        sections.append(StatsEvent.Section("capture_loss", [
            "acks": c.acknowledgements, "acks_of_unseen_data": c.acknowledgedUnseen, "unseen_bytes": c.acknowledgedUnseenBytes,
        ]))
        sections.append(StatsEvent.Section("app_layer", [
            "detected": c.appDetected, "detection_failed": c.appDetectionFailed, "parse_errors": c.appParseErrors,
            "anomalies_suppressed": c.anomaliesSuppressed,
        ]))
        if let policy {
            let p = policy.counters
            var alerts = StatsEvent.Section("alerts", [
                "raised": p.alerts, "repeats": p.repeats, "aggregates": p.aggregates, "rate_limited": p.rateLimited, "keys_dropped": p.keysDropped,
                "new_devices_learning": p.newDevicesLearning, "new_devices_dropped": p.newDevicesDropped, "proposed_flows": p.proposed,
            ])
            alerts.breakdown = StatsEvent.Breakdown(key: "kinds", label: "kind", instances: AlertEvent.Kind.allCases.map { kind in
                let values: [(name: StaticString, value: UInt64)] = [("raised", p.byKind[kind] ?? 0)]
                return (kind.staticName.description, values)
            }, eveOmitsZeros: true)
            sections.append(alerts)
            sections += markingSections(policy)
        }
        if let outputs {
            var events = StatsEvent.Section("events", entries: [])
            events.breakdown = StatsEvent.Breakdown(key: "types", label: "event_type", instances: outputs.writer.renderedByType, eveOmitsZeros: true)
            sections.append(events)
            sections.append(outputs.statsSection(engineEvents: c.events))
        } else {
            sections.append(StatsEvent.Section("output", ["events": c.events]))
        }
        return StatsEvent(uptime: uptime, sections: sections)
    }
}
