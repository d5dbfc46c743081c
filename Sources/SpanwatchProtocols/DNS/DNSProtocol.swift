import SpanwatchFlow
import SpanwatchJSON
import SpanwatchWire

/// DNS over UDP and TCP (53; mDNS 5353 and LLMNR 5355 recognised; a strict probe elsewhere;
/// NetBIOS 137 left alone): the registration, and the names clients ask for (the policy's
/// `external_dns` and the baseline's names). Its answers fill the flows' address → name cache.
public enum DNSProtocol: AppLayerProtocol {
    public static let name = "dns"
    public static let defaultPorts: [UInt16] = [53]
    public static let transports: Set<TransportLayer> = [.tcp, .udp]
    public static let eventTypes = [DNSEvent.eventType]
    public static let roles = (client: "dns_client", server: "dns_server")
    public static let vocabulary = OperationVocabulary.none(name)

    static func isDNSPort(_ port: UInt16) -> Bool { port == 53 || port == 5353 || port == 5355 }

    /// DNS is probed last (the registry's order): its header is weak evidence.
    public static func probe(_ bytes: RawSpan, transport: TransportLayer, serverPort: UInt16, clientPort: UInt16) -> ProbeVerdict {
        guard transport == .udp || transport == .tcp else { return .no }
        let onPort = isDNSPort(serverPort) || isDNSPort(clientPort)
        // NetBIOS name service (137) borrows the DNS format; it is not DNS.
        let netbios = serverPort == 137 || clientPort == 137
        // On its own ports DNS is decided by the port: junk there is a malformed message.
        if onPort && !netbios { return .match }
        let verdict = transport == .udp ? DNS.probe(bytes) : DNS.probeOverTCP(bytes)
        switch verdict {
        case .match: return !netbios && strictDNS(bytes, overTCP: transport == .tcp) ? .match : .no
        case .needMore: return transport == .tcp ? .needMore : .no
        case .no: return .no
        }
    }

    /// Off the DNS ports: a query with one question and no records, or a response that answers one.
    static func strictDNS(_ bytes: RawSpan, overTCP: Bool) -> Bool {
        let message = overTCP ? bytes.extracting(2..<bytes.byteCount) : bytes
        guard message.byteCount >= DNS.headerLength, message.u16be(4) == 1 else { return false }
        let flags = message.u16be(2)
        guard flags & 0x7800 == 0 else { return false }  // opcode QUERY
        if flags & 0x8000 == 0 { return message.u16be(6) == 0 && message.u16be(8) == 0 }
        return true
    }

    public static func makeSession(transport: TransportLayer, context: SessionContext) -> AppSession? {
        DNSSession(datagram: transport == .udp, cache: context.dnsCache)
    }
}

extension DNSEvent: ProtocolEvent {
    public static let eventType = EventType("dns")

    public func writeEve(into builder: JSONLineBuilder) {
        builder.field("tx_id", transactionIndex)
        DNSEveObject.write(self, into: builder)
    }

    /// The questions of a query (responses repeat them: only queries count).
    public func visitQueriedNames(_ visitor: (String) -> Void) {
        guard !message.isResponse else { return }
        for query in queries where !query.name.isEmpty { visitor(String(decoding: query.name, as: UTF8.self)) }
    }
}

extension AppProtocol {
    /// A flow speaking dns (`app_proto: dns`).
    public static let dns = AppProtocol(DNSProtocol.self)
}
