import SpanwatchWire

/// Engine settings the flow layer needs.
public struct EngineConfiguration: Sendable {
    public var flowTable = FlowTableLimits()
    public var reassembly = ReassemblyLimits()
    public var sessions = SessionLimits()
    /// The application protocols to detect and parse, in probing order.
    public var protocols: ProtocolRegistry
    public var communityIDSeed: UInt16 = 0
    /// Decode anomalies written per second of packet time at most (the rest are counted).
    public var anomalyRateLimit = 100
    /// Per-flow sampling of stream and application anomalies.
    public var anomalySampling = AnomalySampling()
    /// Address → name learned from DNS answers (`dns_name` on later flows).
    public var dnsCache = DNSCache.Limits()
    /// IP fragment reassembly: memory, timeout, fragments per datagram, overlap policies.
    public var fragments = FragmentLimits()
    public init(protocols: ProtocolRegistry) {
        self.protocols = protocols
    }
}

/// Zeek's weird sampling, per flow: the first `threshold` anomalies of a flow are written, then
/// one in every `rate`; each written one says how many were left out before it, and the flow
/// record carries the totals. A broken or hostile stream cannot turn into one event per packet.
public struct AnomalySampling: Sendable {
    public var threshold: UInt64 = 25
    public var rate: UInt64 = 1000
    public init() {}

    func writes(_ ordinal: UInt64) -> Bool {
        ordinal <= threshold || (rate > 0 && (ordinal - threshold) % rate == 0)
    }
}

/// Counters for everything the engine saw, skipped or dropped.
public struct EngineCounters: Sendable, Equatable {
    public var packets: UInt64 = 0
    public var bytes: UInt64 = 0
    public var invalid: UInt64 = 0
    public var snapTruncated: UInt64 = 0
    public var nonIP: UInt64 = 0
    public var ipv4: UInt64 = 0
    public var ipv6: UInt64 = 0
    public var tcp: UInt64 = 0
    public var udp: UInt64 = 0
    public var icmp: UInt64 = 0
    public var vlanTagged: UInt64 = 0
    public var fragmentsSkipped: UInt64 = 0
    public var reassemblyGaps: UInt64 = 0
    public var overlapsDifferent: UInt64 = 0
    public var appDetected: UInt64 = 0
    public var appDetectionFailed: UInt64 = 0
    public var appParseErrors: UInt64 = 0
    public var anomaliesSuppressed: UInt64 = 0
    public var events: UInt64 = 0
    /// Capture-loss estimate: TCP acknowledgements that moved forward, those that acknowledged
    /// bytes never captured, and those bytes (see `TCPStream.acknowledgedUnseen`).
    public var acknowledgements: UInt64 = 0
    public var acknowledgedUnseen: UInt64 = 0
    public var acknowledgedUnseenBytes: UInt64 = 0
    public init() {}
}

/// The single-threaded packet path: decode → flow → reassembly → app parser → events.
public final class PacketProcessor: AppEventEmitter {
    public let configuration: EngineConfiguration
    public let table: FlowTable
    let sink: EventSink
    var frame = DecodedFrame()
    public private(set) var counters = EngineCounters()
    /// Packet time of the latest frame (or of the live clock while the link is quiet).
    public internal(set) var now: Timestamp = 0
    var currentPcapCount: UInt64 = 0
    var currentInterface: String? = nil
    var lastExpiry: Timestamp = 0
    var anomalyWindowStart: Timestamp = 0
    var anomaliesInWindow = 0

    /// Well-known service ports (IANA), with the registry's: the end of a flow that is the server.
    static let wellKnownServicePorts: Set<UInt16> = [20, 21, 22, 23, 25, 53, 67, 69, 80, 102, 110, 123, 135, 137, 138, 139, 143, 161, 162, 389, 443,
                                            445, 502, 514, 636, 993, 995, 1433, 1883, 2222, 2404, 3306, 3389, 4840, 5353, 5355, 5432,
                                            5900, 6514, 8080, 8883, 20000, 44818, 47808]

    let servicePorts: Set<UInt16>
    /// Which event types the sink uses, asked once.
    let wantedTypes: EventTypeSet
    public let dnsCache: DNSCache
    /// The policy layer, told of flow starts, application detection and flow ends.
    public weak var observer: FlowObserver?

    public init(configuration: EngineConfiguration, sink: EventSink) {
        self.configuration = configuration
        self.table = FlowTable(limits: configuration.flowTable)
        self.sink = sink
        wantedTypes = EventTypeSet(configuration.protocols.eventTypes.filter { sink.wants($0) })
        servicePorts = PacketProcessor.wellKnownServicePorts.union(configuration.protocols.servicePorts)
        dnsCache = DNSCache(limits: configuration.dnsCache)
        sessionContext = SessionContext(limits: configuration.sessions, dnsCache: dnsCache)
        fragments = FragmentReassembler(limits: configuration.fragments)
    }

    let sessionContext: SessionContext
    /// IP fragments waiting for the rest of their datagram.
    let fragments: FragmentReassembler
    /// IP fragment reassembly's counters.
    public var fragmentCounters: FragmentReassembler.Counters {
        var counters = fragments.counters
        counters.pendingBytes = fragments.memory
        return counters
    }
    /// A reassembled datagram going through `process` (counted as its fragments were).
    var injecting = false

    @inline(__always)
    public func wants(_ type: EventType) -> Bool { wantedTypes.contains(type) }

    /// Processes one captured frame. `timestamp` is packet time in microseconds.
    public func process(_ bytes: RawSpan, linkType: LinkType, wireLength: Int, timestamp: Timestamp,
                        pcapCount: UInt64, interface: String? = nil) {
        now = timestamp
        currentPcapCount = pcapCount
        currentInterface = interface
        if !injecting {
            counters.packets += 1
            counters.bytes += UInt64(wireLength)
        }
        FrameDecoder.decode(bytes, linkType: linkType, wireLength: wireLength, into: &frame)

        if now - lastExpiry >= 1_000_000 || now < lastExpiry {
            lastExpiry = now
            table.expire(now: now, onEnd: endFlow)
            fragments.expire(now: now)
            observer?.clockAdvanced(to: now)
        }

        if let stop = frame.stop {
            if stop.isAnomaly {
                counters.invalid += 1
                reportDecodeAnomaly(stop)
            } else {
                counters.snapTruncated += 1
            }
        }
        if frame.vlanCount > 0 { counters.vlanTagged += 1 }
        switch frame.network {
        case .ipv4: counters.ipv4 += 1
        case .ipv6: counters.ipv6 += 1
        default:
            counters.nonIP += 1
            return
        }
        // An IP fragment waits for its datagram; the whole datagram goes on as one packet.
        // (A fragment inside a tunnel is counted and skipped: its outer headers would need
        // rewriting too.)
        if frame.isFragment && frame.tunnelCount == 0 {
            reassemble(bytes, linkType: linkType, timestamp: timestamp, pcapCount: pcapCount)
            return
        }
        if frame.isNonFirstFragment {
            counters.fragmentsSkipped += 1
            return
        }
        switch frame.transport {
        case .tcp: counters.tcp += 1
        case .udp: counters.udp += 1
        case .icmp, .icmpv6: counters.icmp += 1
        case .other: break
        case .none: return  // the transport header could not be read: no flow key
        }

        var sourceIsA = true
        let key = FlowKey(frame: frame, sourceIsA: &sourceIsA)
        let flow: Flow
        let isNew: Bool
        let existing = table.lookup(key)
        if let existing, !opensNewConnection(on: existing) {
            flow = existing
            isNew = false
        } else {
            if let existing { table.endForReuse(existing, onEnd: endFlow) }
            flow = table.insert(key, onEnd: endFlow)
            initialize(flow, sourceIsA: sourceIsA, timestamp: timestamp, packet: bytes)
            isNew = true
            observer?.flowStarted(flow, context: EventContext(timestamp: now, pcapCount: currentPcapCount, interface: currentInterface, flow: flow))
        }
        let toServer = sourceIsA == flow.clientIsA
        flow.lastTime = timestamp
        if toServer {
            flow.packetsToServer += 1
            flow.bytesToServer += UInt64(wireLength)
        } else {
            flow.packetsToClient += 1
            flow.bytesToClient += UInt64(wireLength)
        }
        if frame.hasEthernet && !isNew && !flow.hasEthernet {
            flow.hasEthernet = true
        }
        if frame.hasEthernet && toServer && flow.packetsToServer == 1 { flow.clientMAC = frame.sourceMAC; flow.serverMAC = frame.destinationMAC }
        if frame.hasEthernet && !toServer && flow.packetsToClient == 1 && flow.packetsToServer == 0 {
            flow.serverMAC = frame.sourceMAC; flow.clientMAC = frame.destinationMAC
        }

        let payloadEnd = frame.payloadOffset + frame.payloadLength
        let payload = bytes.extracting(frame.payloadOffset..<payloadEnd)
        if frame.transport == .tcp {
            handleTCP(flow, toServer: toServer, payload: payload)
        } else if frame.transport == .udp && frame.isFragment {
            // The first fragment of a datagram split by IP: its payload is incomplete and IP
            // reassembly is not done, so the application layer does not see it (counted).
            counters.fragmentsSkipped += 1
        } else if frame.transport == .udp && frame.payloadLength > 0 {
            deliver(payload, flow: flow, direction: toServer ? .toServer : .toClient)
        }
        table.touch(flow)
        emitInterimIfDue(flow)
    }

    /// End of input or shutdown: every flow gets its final record.
    public func finish() {
        table.flushAll(onEnd: endFlow)
        observer?.captureFinished()
    }

    /// Ends flows idle past their timeouts at `time` (live capture calls this on a timer).
    public func advanceClock(to time: Timestamp) {
        guard time > now else { return }
        now = time
        lastExpiry = time
        table.expire(now: time, onEnd: endFlow)
        fragments.expire(now: time)
        observer?.clockAdvanced(to: time)
    }

    // MARK: - Flows

    private func initialize(_ flow: Flow, sourceIsA: Bool, timestamp: Timestamp, packet: RawSpan) {
        let sourceIsClient = sourceIsClientOfNewFlow(packet: packet)
        flow.clientIsA = sourceIsClient == sourceIsA
        flow.clientIP = sourceIsClient ? frame.sourceIP : frame.destinationIP
        flow.serverIP = sourceIsClient ? frame.destinationIP : frame.sourceIP
        flow.clientPort = frame.hasPorts ? (sourceIsClient ? frame.sourcePort : frame.destinationPort) : 0
        flow.serverPort = frame.hasPorts ? (sourceIsClient ? frame.destinationPort : frame.sourcePort) : 0
        flow.ipProtocol = frame.ipProtocol
        flow.transport = frame.transport
        flow.vlanCount = frame.vlanCount
        flow.tunnelCount = frame.tunnelCount
        if frame.tunnelCount > 0 {
            flow.tunnels = frame.tunnels
            flow.outerSourceIP = frame.outerSourceIP
            flow.outerDestinationIP = frame.outerDestinationIP
            flow.outerIPProtocol = frame.outerIPProtocol
            flow.outerSourcePort = frame.outerSourcePort
            flow.outerDestinationPort = frame.outerDestinationPort
        }
        flow.outerVLAN = frame.outerVLAN
        flow.innerVLAN = frame.innerVLAN
        flow.hasEthernet = frame.hasEthernet
        if frame.hasEthernet {
            flow.clientMAC = sourceIsClient ? frame.sourceMAC : frame.destinationMAC
            flow.serverMAC = sourceIsClient ? frame.destinationMAC : frame.sourceMAC
        }
        flow.icmpType = frame.icmpType
        flow.icmpCode = frame.icmpCode
        if frame.transport == .icmp && frame.icmpType == 0 || frame.transport == .icmpv6 && frame.icmpType == 129 {
            flow.icmpType = frame.icmpType == 0 ? 8 : 128  // a reply seen first: hash as its request
        }
        flow.startTime = timestamp
        flow.lastTime = timestamp
        flow.lastInterim = timestamp
        flow.communityIDSeed = configuration.communityIDSeed
        flow.id = PacketProcessor.flowId(key: flow.key, start: timestamp)
        flow.dnsName = dnsCache.name(for: flow.serverIP, now: timestamp)
    }

    /// A SYN (without ACK) on a TCP flow that has finished or is finishing (FIN or RST seen)
    /// starts a new connection: the old flow ends (`closed`) and a new one begins, so that the
    /// new connection's bytes are not taken for the old one's (its sequence numbers start over).
    private func opensNewConnection(on flow: Flow) -> Bool {
        guard frame.transport == .tcp, frame.tcpFlags.contains(.syn), !frame.tcpFlags.contains(.ack) else { return false }
        switch flow.tcpState {
        case .finWait, .closing, .closed: return true
        case .none, .synSent, .synReceived, .established: return false
        }
    }

    /// Orientation of a flow's first packet: SYN, then ICMP type, then ports, then (a unicast
    /// datagram between two ports that do not decide) what the protocol says of its payload.
    private func sourceIsClientOfNewFlow(packet: RawSpan) -> Bool {
        switch frame.transport {
        case .tcp:
            if frame.tcpFlags.contains(.syn) { return !frame.tcpFlags.contains(.ack) }
        case .icmp:
            return frame.icmpType != 0
        case .icmpv6:
            return frame.icmpType != 129
        default:
            break
        }
        guard frame.hasPorts else { return true }
        let source = frame.sourcePort, destination = frame.destinationPort
        let sourceKnown = servicePorts.contains(source)
        let destinationKnown = servicePorts.contains(destination)
        if destinationKnown != sourceKnown { return destinationKnown }
        if (source < 1024) != (destination < 1024) { return destination < 1024 }
        if frame.transport == .udp, frame.payloadLength > 0, !frame.isFragment, isUnicastDestination {
            let payload = packet.extracting(frame.payloadOffset..<frame.payloadOffset + frame.payloadLength)
            if let fromServer = configuration.protocols.datagramIsFromServer(payload, serverPort: destination, clientPort: source) {
                return !fromServer
            }
        }
        return true
    }

    /// Whether the current frame goes to one host: not to a group MAC, a multicast or broadcast
    /// address, or an IPv4 address ending in 255 (a directed broadcast, as far as can be told
    /// without the subnet). A device's broadcast announcement stays the device's flow.
    private var isUnicastDestination: Bool {
        if frame.hasEthernet && frame.destinationMAC.isMulticast { return false }
        if frame.destinationIP.isMulticastOrBroadcast { return false }
        return frame.destinationIP.isIPv6 || frame.destinationIP.ipv4 & 0xFF != 0xFF
    }

    /// A 51-bit id (EVE's limit), stable for the same input: a mix of the key and start time.
    static func flowId(key: FlowKey, start: Timestamp) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15
        for v in [key.aHigh, key.aLow, key.bHigh, key.bLow, UInt64(key.aPort) << 16 | UInt64(key.bPort),
                  UInt64(key.ipProtocol) << 32 | UInt64(key.vlans) ^ UInt64(key.tunnel) << 40, UInt64(bitPattern: start)] {
            h ^= v &+ 0x9E37_79B9_7F4A_7C15 &+ (h << 6) &+ (h >> 2)
            h = (h ^ (h >> 30)) &* 0xBF58_476D_1CE4_E5B9
            h = (h ^ (h >> 27)) &* 0x94D0_49BB_1331_11EB
            h ^= h >> 31
        }
        let id = h & 0x7_FFFF_FFFF_FFFF
        return id == 0 ? 1 : id
    }

    private func endFlow(_ flow: Flow, reason: FlowEndReason) {
        if flow.transport == .tcp {
            var bridge = StreamBridge(processor: self, flow: flow, direction: .toServer)
            flow.toServerStream.flush(limits: configuration.reassembly, memory: table.memory, receiver: &bridge)
            var back = StreamBridge(processor: self, flow: flow, direction: .toClient)
            flow.toClientStream.flush(limits: configuration.reassembly, memory: table.memory, receiver: &back)
        }
        flow.session?.finish(flow: flow, emitter: self)
        let context = EventContext(timestamp: max(now, flow.lastTime), pcapCount: currentPcapCount, interface: currentInterface, flow: flow)
        observer?.flowEnding(flow, context: context)
        emit(context, .flow(reason))
    }

    private func emitInterimIfDue(_ flow: Flow) {
        let interval = configuration.flowTable.interimInterval * 1_000_000
        guard interval > 0, now - flow.lastInterim >= interval else { return }
        flow.lastInterim = now
        emit(EventContext(timestamp: now, pcapCount: currentPcapCount, interface: currentInterface, flow: flow), .flow(.interim))
    }

    // MARK: - TCP

    private func handleTCP(_ flow: Flow, toServer: Bool, payload: RawSpan) {
        let flags = frame.tcpFlags
        if toServer { flow.tcpFlagsToServer.formUnion(flags) } else { flow.tcpFlagsToClient.formUnion(flags) }
        advanceTCPState(flow, toServer: toServer, flags: flags)
        let limits = configuration.reassembly
        let direction: StreamDirection = toServer ? .toServer : .toClient
        var bridge = StreamBridge(processor: self, flow: flow, direction: direction)
        if flags.contains(.syn) {
            if toServer {
                flow.toServerStream.synchronize(synSequence: frame.tcpSequence)
            } else {
                flow.toClientStream.synchronize(synSequence: frame.tcpSequence)
            }
        }
        if flags.contains(.ack) {
            // This packet acknowledges the other direction's bytes, which were therefore sent
            // before it: settle that direction (and any hole in it) before this payload.
            var other = StreamBridge(processor: self, flow: flow, direction: toServer ? .toClient : .toServer)
            let before = toServer ? flow.toClientStream.lossCounts : flow.toServerStream.lossCounts
            if toServer {
                flow.toClientStream.noteAcknowledgement(frame.tcpAcknowledgement, limits: limits, memory: table.memory, receiver: &other)
            } else {
                flow.toServerStream.noteAcknowledgement(frame.tcpAcknowledgement, limits: limits, memory: table.memory, receiver: &other)
            }
            let after = toServer ? flow.toClientStream.lossCounts : flow.toServerStream.lossCounts
            counters.acknowledgements &+= UInt64(after.acknowledgements - before.acknowledgements)
            counters.acknowledgedUnseen &+= UInt64(after.unseen - before.unseen)
            counters.acknowledgedUnseenBytes &+= after.unseenBytes &- before.unseenBytes
        }
        if payload.byteCount > 0 && !flags.contains(.rst) {
            if !(toServer ? flow.toServerStream.initialized : flow.toClientStream.initialized) { flow.midstream = true }
            let sequence = flags.contains(.syn) ? frame.tcpSequence &+ 1 : frame.tcpSequence
            if toServer {
                flow.toServerStream.receive(sequence: sequence, payload: payload, limits: limits, memory: table.memory, receiver: &bridge)
            } else {
                flow.toClientStream.receive(sequence: sequence, payload: payload, limits: limits, memory: table.memory, receiver: &bridge)
            }
        }
    }

    private func advanceTCPState(_ flow: Flow, toServer: Bool, flags: TCPFlags) {
        if flags.contains(.rst) {
            flow.tcpState = .closed
            return
        }
        switch flow.tcpState {
        case .none:
            if flags.contains(.syn) {
                flow.tcpState = flags.contains(.ack) ? .synReceived : .synSent
            } else if flow.packetsToServer > 0 && flow.packetsToClient > 0 {
                flow.tcpState = .established  // picked up midstream, both sides talking
            }
        case .synSent:
            if flags.contains(.syn) && flags.contains(.ack) && !toServer { flow.tcpState = .synReceived }
        case .synReceived:
            if flags.contains(.ack) && !flags.contains(.syn) { flow.tcpState = .established }
        case .established:
            if flags.contains(.fin) { flow.tcpState = .finWait }
        case .finWait:
            let bothFin = flow.tcpFlagsToServer.contains(.fin) && flow.tcpFlagsToClient.contains(.fin)
            if bothFin { flow.tcpState = .closing }
        case .closing:
            if flags.contains(.ack) && !flags.contains(.fin) { flow.tcpState = .closed }
        case .closed:
            break
        }
        if flow.tcpState == .synReceived || flow.tcpState == .synSent, flags.contains(.fin) { flow.tcpState = .finWait }
    }

    // MARK: - Application layer

    /// In-order payload for the app layer: detect the protocol first, then parse.
    func deliver(_ bytes: RawSpan, flow: Flow, direction: StreamDirection) {
        if flow.appProto == .unknown {
            detect(bytes, flow: flow, direction: direction)
            return
        }
        flow.session?.receive(bytes, direction: direction, flow: flow, emitter: self)
    }

    /// Probes the first bytes of a direction; on a match, starts the session and feeds it
    /// everything this direction delivered so far.
    private func detect(_ bytes: RawSpan, flow: Flow, direction: StreamDirection) {
        var probe = direction == .toServer ? flow.toServerProbe : flow.toClientProbe
        if probe.gaveUp { return }
        probe.segments += 1
        // One pass of the registry's probes over what this direction has shown so far.
        let outcome = PacketProcessor.probing(bytes, kept: &probe.bytes) { shown in
            AppDetector.detect(shown, transport: flow.transport, serverPort: flow.serverPort, clientPort: flow.clientPort,
                               protocols: configuration.protocols)
        }
        switch outcome {
        case .detected(let proto):
            if let session = proto.definition?.makeSession(transport: flow.transport, context: sessionContext) {
                flow.appProto = proto
                flow.session = session
                table.noteSession()
                counters.appDetected += 1
                observer?.applicationKnown(flow, context: EventContext(timestamp: now, pcapCount: currentPcapCount,
                                                                       interface: currentInterface, flow: flow))
                let kept = probe.bytes
                probe.reset()
                store(probe, flow: flow, direction: direction)
                // The other direction may hold bytes its probe was waiting on: they came first.
                let otherDirection: StreamDirection = direction == .toServer ? .toClient : .toServer
                var other = otherDirection == .toServer ? flow.toServerProbe : flow.toClientProbe
                if !other.bytes.isEmpty {
                    let otherKept = other.bytes
                    other.reset()
                    store(other, flow: flow, direction: otherDirection)
                    otherKept.withUnsafeBytes { session.receive($0.bytes, direction: otherDirection, flow: flow, emitter: self) }
                }
                if kept.isEmpty {
                    session.receive(bytes, direction: direction, flow: flow, emitter: self)
                } else {
                    kept.withUnsafeBytes { session.receive($0.bytes, direction: direction, flow: flow, emitter: self) }
                }
                return
            }
            probe.giveUp()
        case .needMore:
            if probe.segments >= AppDetector.maximumProbeSegments || probe.bytes.count >= AppDetector.maximumProbeBytes {
                probe.giveUp()
            } else if probe.bytes.isEmpty {
                probe.bytes.appendBytes(of: bytes)
            }
        case .none:
            probe.giveUp()
        }
        store(probe, flow: flow, direction: direction)
        let other = direction == .toServer ? flow.toClientProbe : flow.toServerProbe
        if probe.gaveUp && other.gaveUp {
            flow.appProto = .failed
            counters.appDetectionFailed += 1
            observer?.applicationKnown(flow, context: EventContext(timestamp: now, pcapCount: currentPcapCount,
                                                                   interface: currentInterface, flow: flow))
        }
    }

    /// What the probes look at: this payload, or, when an earlier one left bytes because a probe
    /// needed more, those bytes with this payload after them (bounded: past the bound, no protocol).
    private static func probing(_ bytes: RawSpan, kept: inout [UInt8], _ probe: (RawSpan) -> AppDetector.Outcome) -> AppDetector.Outcome {
        if kept.isEmpty { return probe(bytes) }
        guard kept.count + bytes.byteCount <= AppDetector.maximumProbeBytes else { return .none }
        kept.appendBytes(of: bytes)
        return kept.withUnsafeBytes { probe($0.bytes) }
    }

    private func store(_ probe: ProbeBuffer, flow: Flow, direction: StreamDirection) {
        if direction == .toServer { flow.toServerProbe = probe } else { flow.toClientProbe = probe }
    }

    func streamGap(flow: Flow, direction: StreamDirection, length: UInt32) {
        counters.reassemblyGaps += 1
        flow.session?.gap(direction: direction)
        var event = AnomalyEvent(kind: .stream, event: "stream.reassembly_gap", layer: "tcp")
        event.length = Int(length)
        emitFlowAnomaly(event, EventContext(timestamp: now, pcapCount: currentPcapCount, interface: currentInterface, flow: flow,
                                            direction: direction))
    }

    func streamOverlapDifferent(flow: Flow, direction: StreamDirection, sequence: UInt32, length: Int) {
        counters.overlapsDifferent += 1
        var event = AnomalyEvent(kind: .stream, event: "stream.reassembly_overlap_different_data", layer: "tcp")
        event.sequence = sequence
        event.length = length
        emitFlowAnomaly(event, EventContext(timestamp: now, pcapCount: currentPcapCount, interface: currentInterface, flow: flow,
                                            direction: direction))
    }

    public func emitApp<Event: ProtocolEvent>(_ event: Event, flow: Flow, direction: StreamDirection?) {
        counters.events += 1
        sink.emit(EventContext(timestamp: now, pcapCount: currentPcapCount, interface: currentInterface, flow: flow, direction: direction),
                  application: event)
    }

    public func emitAnomaly(_ anomaly: AnomalyEvent, flow: Flow, direction: StreamDirection?) {
        counters.appParseErrors += 1
        emitFlowAnomaly(anomaly, EventContext(timestamp: now, pcapCount: currentPcapCount, interface: currentInterface, flow: flow,
                                              direction: direction))
    }

    // MARK: - Events

    private func reassemble(_ bytes: RawSpan, linkType: LinkType, timestamp: Timestamp, pcapCount: UInt64) {
        let (findings, complete) = fragments.add(bytes, frame: frame, linkType: linkType, interface: currentInterface, at: timestamp)
        let v6 = frame.network == .ipv6
        for finding in findings { reportAnomaly(finding.name(v6), layer: v6 ? "ipv6" : "ipv4") }
        guard complete else { return }
        injecting = true
        defer { injecting = false }
        let linkType = fragments.outputLinkType, interface = fragments.outputInterface
        let whole = fragments.output
        whole.withUnsafeBytes { raw in
            process(raw.bytes, linkType: linkType, wireLength: whole.count, timestamp: timestamp, pcapCount: pcapCount, interface: interface)
        }
    }

    /// A named anomaly of the current frame (rate-limited as decode anomalies are).
    private func reportAnomaly(_ name: String, layer: String) {
        if now - anomalyWindowStart >= 1_000_000 || now < anomalyWindowStart {
            anomalyWindowStart = now
            anomaliesInWindow = 0
        }
        counters.invalid += 1
        guard anomaliesInWindow < configuration.anomalyRateLimit else {
            counters.anomaliesSuppressed += 1
            return
        }
        anomaliesInWindow += 1
        var event = AnomalyEvent(kind: .decode, event: name, layer: layer)
        event.sourceIP = frame.sourceIP
        event.destinationIP = frame.destinationIP
        emit(EventContext(timestamp: now, pcapCount: currentPcapCount, interface: currentInterface, flow: nil), .anomaly(event))
    }

    private func reportDecodeAnomaly(_ stop: DecodeStop) {
        // A flood of malformed frames must not become a flood of events: a per-second budget.
        if now - anomalyWindowStart >= 1_000_000 || now < anomalyWindowStart {
            anomalyWindowStart = now
            anomaliesInWindow = 0
        }
        guard anomaliesInWindow < configuration.anomalyRateLimit else {
            counters.anomaliesSuppressed += 1
            return
        }
        anomaliesInWindow += 1
        var event = AnomalyEvent(kind: .decode, event: stop.eventName, layer: stop.layer.description)
        if frame.network == .ipv4 || frame.network == .ipv6 {
            event.sourceIP = frame.sourceIP
            event.destinationIP = frame.destinationIP
        }
        emit(EventContext(timestamp: now, pcapCount: currentPcapCount, interface: currentInterface, flow: nil), .anomaly(event))
    }

    func emit(_ context: EventContext, _ body: EventBody) {
        if case .anomaly = body, context.flow != nil, case .anomaly(let anomaly) = body {
            emitFlowAnomaly(anomaly, context)
            return
        }
        counters.events += 1
        sink.emit(context, body)
    }

    /// A stream or application anomaly of a flow, sampled per flow (`AnomalySampling`). Taking the
    /// small anomaly rather than an `EventBody` keeps the (large) event enum from being copied
    /// for anomalies that are only counted.
    func emitFlowAnomaly(_ anomaly: AnomalyEvent, _ context: EventContext) {
        guard let flow = context.flow else { return }
        flow.anomalies += 1
        guard configuration.anomalySampling.writes(flow.anomalies) else {
            flow.anomaliesSuppressed += 1
            flow.anomaliesSuppressedSinceWritten += 1
            counters.anomaliesSuppressed += 1
            return
        }
        var written = anomaly
        written.suppressedBefore = flow.anomaliesSuppressedSinceWritten
        flow.anomaliesSuppressedSinceWritten = 0
        counters.events += 1
        sink.emit(context, .anomaly(written))
    }
}

/// Connects one direction of a flow's reassembly to the processor.
struct StreamBridge: TCPStreamReceiver {
    unowned(unsafe) let processor: PacketProcessor
    unowned(unsafe) let flow: Flow
    let direction: StreamDirection

    mutating func streamData(_ bytes: RawSpan) {
        processor.deliver(bytes, flow: flow, direction: direction)
    }

    mutating func streamGap(length: UInt32) {
        processor.streamGap(flow: flow, direction: direction, length: length)
    }

    mutating func streamOverlapDifferent(sequence: UInt32, length: Int) {
        processor.streamOverlapDifferent(flow: flow, direction: direction, sequence: sequence, length: length)
    }
}
