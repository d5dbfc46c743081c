import SpanwatchFlow
import SpanwatchPolicy
import SpanwatchProtocols
import SpanwatchTestSupport
import SpanwatchWire
import Testing

/// BACnet/IP plugs into the baseline and alerts through its folder's vocabulary: the services a
/// client uses are learned, I-Am names the device, reinitialize is critical, a first write is a
/// new operation, and answers are paired with their requests.
@Suite struct BACnetPolicyTests {
    final class Events: BoxingEventSink {
        var alerts: [AlertEvent] = []
        var bacnet: [BACnetEvent] = []
        func emit(_ context: EventContext, _ body: EventBody) {
            if case .alert(let alert) = body, alert.aggregate == nil { alerts.append(alert) }
            if let event = body.application(as: BACnetEvent.self) { bacnet.append(event) }
        }
    }

    static let workstation: UInt32 = 0x0A1E_0105, controller: UInt32 = 0x0A1E_0209  // 10.30.1.5, 10.30.2.9

    static func bvlc(_ apdu: [UInt8]) -> [UInt8] {
        let total = 6 + apdu.count
        return [0x81, 0x0A, UInt8(total >> 8), UInt8(total & 0xFF), 0x01, 0x04] + apdu
    }

    /// Read-property of analog-input 0 present-value (invoke `invoke`), and its answer (12.5).
    static func readCycle(_ factory: inout FrameFactory, _ processor: PacketProcessor, invoke: UInt8, at time: Timestamp) {
        factory.udp(src: workstation, dst: controller, sport: 47808, dport: 47808,
                    payload: bvlc([0x00, 0x05, invoke, 0x0C, 0x0C, 0x00, 0x00, 0x00, 0x00, 0x19, 0x55]))
        factory.feed(processor, time: time)
        factory.udp(src: controller, dst: workstation, sport: 47808, dport: 47808,
                    payload: bvlc([0x30, invoke, 0x0C, 0x0C, 0x00, 0x00, 0x00, 0x00, 0x19, 0x55, 0x3E, 0x44, 0x41, 0x48, 0x00, 0x00, 0x3F]))
        factory.feed(processor, time: time + 20_000)
    }

    static func learned() throws -> Baseline {
        let learner = PolicyEngine(policy: ZonePolicy(), downstream: Events())
        learner.startLearning()
        let processor = PacketProcessor(configuration: EngineConfiguration(), sink: learner)
        processor.observer = learner
        var factory = FrameFactory()
        for cycle in 0..<6 { readCycle(&factory, processor, invoke: UInt8(cycle), at: 1_000_000 + Int64(cycle) * 5_000_000) }
        // I-Am from the controller: device 2009, vendor 15.
        factory.udp(src: controller, dst: workstation, sport: 47808, dport: 47808,
                    payload: bvlc([0x10, 0x00, 0xC4, 0x02, 0x00, 0x07, 0xD9, 0x22, 0x05, 0xC4, 0x91, 0x00, 0x21, 0x0F]))
        factory.feed(processor, time: 40_000_000)
        processor.finish()
        return try #require(learner.finishLearning())
    }

    @Test func servicesIdentityAndPollingAreLearned() throws {
        let baseline = try Self.learned()
        let edge = "10.30.1.5 > 10.30.2.9 udp/47808 bacnet"
        #expect(baseline.keyLines().contains("edge \(edge) | bacnet.service confirmed/read-property"))
        #expect(baseline.edges[EdgeKey.parse(Substring(edge))!]?.polling?.periodMilliseconds == 5000)
        #expect(baseline.hosts[IPAddress("10.30.2.9")!]?.identity == ["device_instance": "2009", "vendor_id": "15"])
    }

    /// Devices talk 47808 to 47808, so ports cannot orient a flow: a unicast I-Am that answers a
    /// broadcast Who-Is may open it. The requester is still the client (edge, roles, and the
    /// "from" of its alerts); a device's broadcast I-Am stays the device's own flow.
    @Test func aDeviceAnsweringFirstDoesNotBecomeTheClient() throws {
        let learner = PolicyEngine(policy: ZonePolicy(), downstream: Events())
        learner.startLearning()
        let processor = PacketProcessor(configuration: EngineConfiguration(), sink: learner)
        processor.observer = learner
        var factory = FrameFactory()
        let iAm = Self.bvlc([0x10, 0x00, 0xC4, 0x02, 0x00, 0x07, 0xD9, 0x22, 0x05, 0xC4, 0x91, 0x00, 0x21, 0x0F])
        factory.udp(src: Self.controller, dst: Self.workstation, sport: 47808, dport: 47808, payload: iAm)
        factory.feed(processor, time: 500_000)
        factory.udp(src: Self.controller, dst: 0x0A1E_FFFF, sport: 47808, dport: 47808, payload: iAm)  // to 10.30.255.255
        factory.feed(processor, time: 600_000)
        for cycle in 0..<4 { Self.readCycle(&factory, processor, invoke: UInt8(cycle), at: 1_000_000 + Int64(cycle) * 5_000_000) }
        processor.finish()
        let baseline = try #require(learner.finishLearning())
        let edges = Set(baseline.edges.keys.map(\.description))
        #expect(edges == ["10.30.1.5 > 10.30.2.9 udp/47808 bacnet", "10.30.2.9 > 10.30.255.255 udp/47808 bacnet"])
        #expect(baseline.hosts[IPAddress("10.30.1.5")!]?.roles == ["bacnet_client"])
        #expect(baseline.hosts[IPAddress("10.30.2.9")!]?.roles.contains("bacnet_device") == true)
        #expect(baseline.hosts[IPAddress("10.30.2.9")!]?.identity["device_instance"] == "2009")
    }

    /// What the first datagram says of its sender, message by message.
    @Test func whichMessagesAServerSends() {
        func fromServer(_ bytes: [UInt8]) -> Bool? { bytes.withUnsafeBytes { BACnetProtocol.datagramIsFromServer($0.bytes) } }
        #expect(fromServer(Self.bvlc([0x00, 0x05, 0x01, 0x0C, 0x0C, 0x00, 0x00, 0x00, 0x00, 0x19, 0x55])) == false)  // read-property
        #expect(fromServer(Self.bvlc([0x10, 0x08])) == false)  // who-is
        #expect(fromServer(Self.bvlc([0x10, 0x00, 0xC4, 0x02, 0x00, 0x07, 0xD9, 0x22, 0x05, 0xC4, 0x91, 0x00, 0x21, 0x0F])) == true)  // i-am
        #expect(fromServer(Self.bvlc([0x20, 0x01, 0x0F])) == true)  // simple-ack
        #expect(fromServer(Self.bvlc([0x50, 0x01, 0x0F, 0x91, 0x02, 0x91, 0x20])) == true)  // error
        #expect(fromServer(Self.bvlc([0x71, 0x01, 0x04])) == true)  // abort from the server
        #expect(fromServer(Self.bvlc([0x70, 0x01, 0x04])) == false)  // abort from the client
        #expect(fromServer([0x81, 0x00, 0x00, 0x06, 0x00, 0x00]) == true)  // BVLC-Result
        #expect(fromServer([0x81, 0x05, 0x00, 0x06, 0x00, 0x3C]) == false)  // Register-Foreign-Device
    }

    @Test func reinitializeIsCriticalAndAFirstWriteIsANewOperation() throws {
        let sink = Events()
        let engine = PolicyEngine(policy: ZonePolicy(), downstream: sink)
        engine.monitor(with: try Self.learned())
        let processor = PacketProcessor(configuration: EngineConfiguration(), sink: engine)
        processor.observer = engine
        var factory = FrameFactory()
        Self.readCycle(&factory, processor, invoke: 9, at: 100_000_000)
        // reinitialize-device (20) warmstart (context 0: 09 01); write-property (15) to
        // analog-value 3 present-value, value real 21.0 (3E 44 41 A8 00 00 3F).
        factory.udp(src: Self.workstation, dst: Self.controller, sport: 47808, dport: 47808, payload: Self.bvlc([0x00, 0x05, 0x0A, 0x14, 0x09, 0x01]))
        factory.feed(processor, time: 101_000_000)
        factory.udp(src: Self.workstation, dst: Self.controller, sport: 47808, dport: 47808,
                    payload: Self.bvlc([0x00, 0x05, 0x0B, 0x0F, 0x0C, 0x00, 0x80, 0x00, 0x03, 0x19, 0x55, 0x3E, 0x44, 0x41, 0xA8, 0x00, 0x00, 0x3F]))
        factory.feed(processor, time: 102_000_000)
        // write-property to the device object (device 2009: 0C 02 00 07 D9), object-name (19 4D), "x".
        factory.udp(src: Self.workstation, dst: Self.controller, sport: 47808, dport: 47808,
                    payload: Self.bvlc([0x00, 0x05, 0x0C, 0x0F, 0x0C, 0x02, 0x00, 0x07, 0xD9, 0x19, 0x4D, 0x3E, 0x72, 0x00, 0x78, 0x3F]))
        factory.feed(processor, time: 103_000_000)
        processor.finish()
        let critical = sink.alerts.filter { $0.kind == .criticalOperation }
        #expect(critical.count == 2)
        #expect(critical.first?.signature.contains("BACnet reinitialize-device") == true && critical.first?.technique?.id == "T0816")
        #expect(critical.last?.signature.contains("BACnet write to the device object") == true)  // the analog-value write is not
        let newOperation = try #require(sink.alerts.first { $0.kind == .newOperation })
        #expect(newOperation.severity == 1)  // a write service
        #expect(newOperation.baselineKey == "edge 10.30.1.5 > 10.30.2.9 udp/47808 bacnet | bacnet.service confirmed/write-property")
        // The answer to read 9 is paired with its request.
        #expect(sink.bacnet.first { $0.message.apduType == 3 }?.requestService == 12)
        #expect(sink.bacnet.first { $0.message.apduType == 3 }?.latency == 20_000)
    }

    @Test func keysParseBack() {
        #expect(ObservedOperation.parse("bacnet.service confirmed/write-property")?.keyText == "bacnet.service confirmed/write-property")
        #expect(ObservedOperation.parse("bacnet.service unconfirmed/who-is")?.keyText == "bacnet.service unconfirmed/who-is")
        #expect(ObservedOperation.parse("bacnet.service confirmed/15")?.keyText == "bacnet.service confirmed/write-property")
        #expect(ObservedOperation.parse("bacnet.write analog-value 3")?.isRangedWrite == true)
        #expect(ObservedOperation.parse("bacnet.service write-property") == nil)
    }
}

