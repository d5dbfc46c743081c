import SpanwatchApp
import SpanwatchFlow
import SpanwatchProtocols
import Testing

@Suite struct LimitsSectionTests {
    @Test func engineBounds() throws {
        let config = try configuration("limits:\n  flows: 1000\n  flow_memcap: 8MiB\n  reassembly:\n    pending_segments: 16\n    retained_bytes: 0\n  anomaly_rate: 5\n")
        #expect(config.engine.flowTable.maximumFlows == 1000 && config.engine.flowTable.memcap == 8 << 20)
        #expect(config.engine.reassembly.maximumPendingSegments == 16 && config.engine.reassembly.retainedBytes == 0)
        #expect(config.engine.anomalyRateLimit == 5)
    }

    /// A protocol's caps are declared in its folder and set under `limits:` like the engine's own.
    @Test func protocolLimitsComeFromTheirDescriptors() throws {
        let config = try configuration("limits:\n  modbus_pending_requests: 3\n  s7comm_pdu_bytes: 1KiB\n  mqtt_payload_bytes: 0\n")
        #expect(config.engine.sessions[ModbusProtocol.pendingRequests] == 3)
        #expect(config.engine.sessions[S7commProtocol.pduBytes] == 1024)
        #expect(config.engine.sessions[MQTTProtocol.payloadBytes] == 0)
        #expect(config.engine.sessions[DNP3Protocol.fragmentBytes] == 16384)  // not set: the protocol's default
        for limit in ProtocolRegistry.standard.limits {
            let message = refusal("limits:\n  \(limit.key): -1\n")
            #expect(message?.hasPrefix("f.yaml:3: 'limits.\(limit.key)'") == true, "\(limit.key): \(message ?? "accepted")")
        }
        #expect(refusal("limits:\n  modbus_pending: 3\n")?.contains("unknown key 'limits.modbus_pending'") == true)
    }
}
