import SpanwatchCapture
import SpanwatchFlow
import SpanwatchOutput
import SpanwatchPolicy

/// The `stats` event: what the sensor saw, decoded, tracked, raised and delivered, with the
/// kernel's counters when capturing live (Suricata's names where it has them).
public enum StatsReport {
    public static func make(processor: PacketProcessor, policy: PolicyEngine?, kernel: [String: KernelCounters] = [:],
                            spool: Spool? = nil, forwarder: SyslogForwarder? = nil, uptime: Int64? = nil,
                            writer: EveWriter? = nil) -> StatsEvent {
        let c = processor.counters
        let t = processor.table.counters
        var sections: [StatsEvent.Section] = []
        if !kernel.isEmpty {
            var total = KernelCounters()
            for counters in kernel.values { total.add(counters) }
            sections.append(StatsEvent.Section("capture", [
                "kernel_packets": total.packets, "kernel_drops": total.drops, "kernel_ifdrops": total.interfaceDrops,
            ]))
        }
        sections.append(StatsEvent.Section("decoder", [
            "pkts": c.packets, "bytes": c.bytes, "invalid": c.invalid, "ipv4": c.ipv4, "ipv6": c.ipv6, "tcp": c.tcp, "udp": c.udp,
            "icmp": c.icmp, "vlan": c.vlanTagged, "fragments_skipped": c.fragmentsSkipped, "snap_truncated": c.snapTruncated,
        ]))
        sections.append(StatsEvent.Section("flow", [
            "created": t.created, "active": UInt64(processor.table.active), "timed_out": t.timedOut, "closed": t.closed,
            "evicted_memcap": t.evicted, "evicted_closed": t.evictedClosed, "evicted_new": t.evictedNew,
            "evicted_established": t.evictedEstablished, "shutdown": t.flushedAtShutdown, "peak_active": UInt64(t.peakActive),
        ]))
        sections.append(StatsEvent.Section("tcp", ["reassembly_gaps": c.reassemblyGaps, "overlap_different_data": c.overlapsDifferent]))
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
            sections.append(StatsEvent.Section("alerts", [
                "raised": p.alerts, "repeats": p.repeats, "aggregates": p.aggregates, "rate_limited": p.rateLimited, "keys_dropped": p.keysDropped,
            ]))
        }
        if let policy {
            sections.append(StatsEvent.Section("alerts_by_kind", entries: AlertEvent.Kind.allCases.map {
                ($0.staticName, policy.counters.byKind[$0] ?? 0)
            }))
        }
        sections.append(StatsEvent.Section("output", ["events": c.events]))
        if let writer { sections.append(StatsEvent.Section("events_written", entries: writer.writtenByType)) }
        if let spool {
            let s = spool.counters
            let f = forwarder?.counters ?? SyslogForwarder.Counters()
            sections.append(StatsEvent.Section("syslog", [
                "appended": s.appended, "dropped_alerts": s.droppedAlerts, "dropped_events": s.droppedOther,
                "pending_bytes": UInt64(s.bytesOnDisk), "pending_age_seconds": UInt64(spool.pendingAge), "torn_records": s.tornRecords,
                "delivered": f.delivered, "connects": f.connects,
                "failures": f.failures, "connected": f.connected ? 1 : 0,
            ]))
        }
        return StatsEvent(uptime: uptime, sections: sections)
    }
}
