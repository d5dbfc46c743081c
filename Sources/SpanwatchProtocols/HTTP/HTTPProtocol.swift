import SpanwatchFlow
import SpanwatchJSON
import SpanwatchWire

/// HTTP/1.0 and 1.1 on any port (found by its request or status line): the registration, the
/// baseline's vocabulary (methods, hosts), the `Server` header as identity, and Basic credentials.
public enum HTTPProtocol: AppLayerProtocol {
    public static let name = "http"
    public static let defaultPorts: [UInt16] = [80]
    public static let transports: Set<TransportLayer> = [.tcp]
    public static let eventTypes = [HTTPEvent.eventType]
    public static let roles = (client: "http_client", server: "http_server")
    /// A head (request or status line and header fields) larger than this is an anomaly.
    public static let headBytes = SessionLimit(key: "http_head_bytes", defaultValue: 16384, unit: .bytes)
    public static let limits = [headBytes]

    public static func probe(_ bytes: RawSpan, transport: TransportLayer, serverPort: UInt16, clientPort: UInt16) -> ProbeVerdict {
        transport == .tcp ? HTTP.probe(bytes) : .no
    }

    public static func makeSession(transport: TransportLayer, context: SessionContext) -> AppSession? {
        transport == .tcp ? HTTPSession(limits: context.limits) : nil
    }

    static let namesPerEdge = 256

    public static let method = OperationField(protocolName: name, key: "method", section: "methods", capacity: namesPerEdge,
                                              layout: .inline(quoted: true),
                                              describe: { value, _, _ in "HTTP method \(OperationField.plain(value))" })
    public static let host = OperationField(protocolName: name, key: "host", section: "hosts", capacity: namesPerEdge, layout: .block,
                                            parse: { .text($0.lowercased()) },
                                            describe: { value, _, _ in "HTTP host '\(OperationField.plain(value))'" })
    public static let vocabulary = OperationVocabulary(protocolName: name, fields: [method, host])
}

extension ProtocolOperation {
    public static func httpMethod(_ method: String) -> ProtocolOperation { ProtocolOperation(HTTPProtocol.method, .text(method)) }
    public static func httpHost(_ host: String) -> ProtocolOperation { ProtocolOperation(HTTPProtocol.host, .text(host)) }
}

extension HTTPEvent: ProtocolEvent {
    public static let eventType = EventType("http")

    public func writeEve(into builder: JSONLineBuilder) {
        builder.field("tx_id", transactionIndex)
        HTTPEveObject.write(self, into: builder)
    }

    public func visitOperations(direction: StreamDirection?, _ visitor: (ProtocolOperation) -> Void) {
        guard let request else { return }
        visitor(.httpMethod(String(decoding: request.method, as: UTF8.self)))
        if let host = request.host { visitor(.httpHost(String(decoding: host, as: UTF8.self).lowercased())) }
    }

    public var mayCarryIdentity: Bool { response?.server != nil }

    public func visitIdentity(_ visitor: (StaticString, String) -> Void) {
        if let server = response?.server { visitor("http_server", IdentityText.printable(server)) }
    }

    /// Basic authorization: the user is named, the password never kept.
    public var cleartextCredentials: (method: String, user: String)? {
        guard let request, let scheme = request.authorizationScheme,
              String(decoding: scheme, as: UTF8.self).lowercased() == "basic" else { return nil }
        return ("HTTP Basic", request.username.map { String(decoding: $0, as: UTF8.self) } ?? "?")
    }
}

extension AppProtocol {
    /// A flow speaking http (`app_proto: http`).
    public static let http = AppProtocol(HTTPProtocol.self)
}
