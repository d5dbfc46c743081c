import SpanwatchWire

/// TCP connection state as the sensor sees it (both directions).
public enum TCPConnectionState: UInt8, Sendable {
    case none, synSent, synReceived, established, finWait, closing, closed

    /// Suricata's names for `tcp.state`.
    public var name: String {
        switch self {
        case .none: "none"
        case .synSent: "syn_sent"
        case .synReceived: "syn_recv"
        case .established: "established"
        case .finWait: "fin_wait1"
        case .closing: "closing"
        case .closed: "closed"
        }
    }
}

/// One bidirectional flow. Objects are pooled by the flow table and reused, so steady-state
/// traffic allocates nothing per packet; `reset` returns one to its initial state.
public final class Flow {
    public internal(set) var id: UInt64 = 0
    public internal(set) var key = FlowKey(a: .none, aPort: 0, b: .none, bPort: 0, ipProtocol: 0)
    /// The side that opened the flow (or the requester, when the opening was not seen).
    public internal(set) var clientIP = IPAddress.none
    public internal(set) var serverIP = IPAddress.none
    public internal(set) var clientPort: UInt16 = 0
    public internal(set) var serverPort: UInt16 = 0
    public internal(set) var ipProtocol: UInt8 = 0
    public internal(set) var transport: TransportLayer = .none
    public internal(set) var vlanCount: UInt8 = 0
    public internal(set) var outerVLAN: UInt16 = 0
    public internal(set) var innerVLAN: UInt16 = 0
    /// The tunnels the flow's first packet came through (outermost first), and the outermost
    /// IP packet's addresses, protocol and ports (EVE `tunnel`).
    public internal(set) var tunnelCount: UInt8 = 0
    public internal(set) var tunnels = InlineArray<4, TunnelLayer>(repeating: TunnelLayer())
    public internal(set) var outerSourceIP = IPAddress.none
    public internal(set) var outerDestinationIP = IPAddress.none
    public internal(set) var outerIPProtocol: UInt8 = 0
    public internal(set) var outerSourcePort: UInt16 = 0
    public internal(set) var outerDestinationPort: UInt16 = 0
    public internal(set) var hasEthernet = false
    public internal(set) var clientMAC = MACAddress(raw: 0)
    public internal(set) var serverMAC = MACAddress(raw: 0)
    /// ICMP type/code of the first packet, for Community ID.
    public internal(set) var icmpType: UInt8 = 0
    public internal(set) var icmpCode: UInt8 = 0
    /// Whether the endpoint A of `key` is the client.
    var clientIsA = true

    public internal(set) var startTime: Timestamp = 0
    public internal(set) var lastTime: Timestamp = 0
    public internal(set) var packetsToServer: UInt64 = 0
    public internal(set) var packetsToClient: UInt64 = 0
    public internal(set) var bytesToServer: UInt64 = 0
    public internal(set) var bytesToClient: UInt64 = 0
    public internal(set) var tcpFlagsToServer = TCPFlags()
    public internal(set) var tcpFlagsToClient = TCPFlags()
    public internal(set) var tcpState = TCPConnectionState.none
    public internal(set) var appProto = AppProtocol.unknown
    var toServerProbe = ProbeBuffer()
    var toClientProbe = ProbeBuffer()
    public internal(set) var lastInterim: Timestamp = 0

    var toServerStream = TCPStream()
    var toClientStream = TCPStream()
    var session: AppSession? = nil

    // Flow table bookkeeping: slot and intrusive list links.
    var slot: Int32 = -1
    var list: UInt8 = 0
    var previous: Int32 = -1
    var next: Int32 = -1

    private var cachedCommunityID: String? = nil
    public var communityIDSeed: UInt16 = 0

    init() {}

    /// Community ID v1, computed once per flow on first use.
    public var communityID: String {
        if let cached = cachedCommunityID { return cached }
        let value: String
        if transport == .icmp || transport == .icmpv6 {
            value = CommunityID.compute(source: clientIP, destination: serverIP, ipProtocol: ipProtocol,
                                        sourcePort: UInt16(icmpType), destinationPort: UInt16(icmpCode), seed: communityIDSeed)
        } else {
            value = CommunityID.compute(source: clientIP, destination: serverIP, ipProtocol: ipProtocol,
                                        sourcePort: clientPort, destinationPort: serverPort, seed: communityIDSeed)
        }
        cachedCommunityID = value
        return value
    }

    /// EVE's `state`: new, established or closed.
    public var stateName: String {
        switch transport {
        case .tcp:
            switch tcpState {
            case .none, .synSent, .synReceived: return (packetsToClient > 0 && packetsToServer > 0 && tcpState == .none) ? "established" : "new"
            case .established, .finWait, .closing: return "established"
            case .closed: return "closed"
            }
        default:
            return packetsToClient > 0 && packetsToServer > 0 ? "established" : "new"
        }
    }

    /// Owned by the output layer: the flow's constant envelope fields as already-rendered bytes,
    /// and what they were rendered for (so a change, such as the app protocol, re-renders them).
    /// Kept across reuse of the pooled object, so rendering allocates nothing once warm.
    public var renderedEnvelope: [UInt8] = []
    public var renderedEnvelopeTag: UInt64 = 0

    /// Owned by the policy layer: a zone decision waits for the application protocol.
    public var policyPending = false
    /// An alert was raised on this flow (EVE `flow.alerted`).
    public var alerted = false
    /// Owned by the policy layer: whether the flow's edge was checked against the baseline (or
    /// learned) yet, and which learned edge it is (an index the policy layer keeps), or -1.
    public var baselineDecided = false
    public var baselineEdge: Int32 = -1
    /// Owned by the policy layer: the server's answer was taken into account.
    public var baselineServerSeen = false
    /// Owned by the policy layer: the flow is outside the plant's policy (a `new_flow` or a
    /// `zone_violation` was raised for it), so its writes are judged one by one.
    public var outsidePolicy = false
    /// Owned by the policy layer: an end of the flow is a new device in its learning window, so
    /// the flow goes to the baseline proposal, not to the baseline's checks.
    public var learningNewDevice = false
    /// Owned by the output: the `spanwatch.seq` of the first alert written for this flow (0:
    /// none yet), which later alerts of the flow name as `related`.
    public var firstAlertSequence: UInt64 = 0

    /// The name the server's address was resolved from, when a DNS answer for it was seen.
    public internal(set) var dnsName: String? = nil

    /// The flow's TCP stream was picked up without its SYN (the capture began mid-session).
    public internal(set) var midstream = false

    /// Anomalies (stream and application) raised on this flow, and how many were not written
    /// because the flow passed its sampling threshold (see `AnomalySampling`).
    public internal(set) var anomalies: UInt64 = 0
    public internal(set) var anomaliesSuppressed: UInt64 = 0
    var anomaliesSuppressedSinceWritten: UInt64 = 0

    /// Reassembly gaps and different-data overlaps seen in both directions.
    public var reassemblyGaps: Int { toServerStream.gaps + toClientStream.gaps }
    public var overlapsDifferent: Int { toServerStream.overlapsDifferent + toClientStream.overlapsDifferent }

    func reset(memory: ReassemblyMemory) {
        toServerStream.release(memory: memory)
        toClientStream.release(memory: memory)
        session = nil
        cachedCommunityID = nil
        packetsToServer = 0; packetsToClient = 0; bytesToServer = 0; bytesToClient = 0
        tcpFlagsToServer = TCPFlags(); tcpFlagsToClient = TCPFlags()
        tcpState = .none
        appProto = .unknown
        toServerProbe.reset(); toClientProbe.reset()
        lastInterim = 0
        midstream = false
        dnsName = nil
        policyPending = false
        alerted = false
        baselineDecided = false
        baselineEdge = -1
        baselineServerSeen = false
        outsidePolicy = false
        learningNewDevice = false
        firstAlertSequence = 0
        renderedEnvelope.removeAll(keepingCapacity: true)
        renderedEnvelopeTag = 0
        anomalies = 0; anomaliesSuppressed = 0; anomaliesSuppressedSinceWritten = 0
        hasEthernet = false
        vlanCount = 0; outerVLAN = 0; innerVLAN = 0
        tunnelCount = 0
        icmpType = 0; icmpCode = 0
    }
}
