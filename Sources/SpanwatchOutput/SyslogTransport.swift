import COpenSSL

#if canImport(Glibc)
import Glibc
#endif

/// How the forwarder reaches the receiver: plain TCP, or TLS (RFC 5425) with the receiver's
/// certificate verified against a CA and its name checked. TLS never falls back to plain text:
/// a failed handshake is a failed connection, retried with back-off.
public enum SyslogTransport: Sendable, Equatable {
    case tcp
    case tls(TLSSettings)
    /// RFC 5426: one message per datagram, no framing and no acknowledgement: a record counts as
    /// delivered once sent (for those who insist; large events may not fit a datagram).
    case udp
}

public struct TLSSettings: Sendable, Equatable {
    /// CA certificates (PEM) the receiver's certificate must chain to.
    public var caFile: String
    /// Optional client certificate and key (PEM), for receivers that authenticate senders.
    public var certificateFile: String?
    public var keyFile: String?
    /// The name the receiver's certificate must carry (default: the host of the address).
    public var serverName: String?
    public init(caFile: String, certificateFile: String? = nil, keyFile: String? = nil, serverName: String? = nil) {
        self.caFile = caFile
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.serverName = serverName
    }
}

/// A TLS client context (verification on, TLS 1.2 at least) and the sessions over it.
final class TLSClient {
    let context: OpaquePointer
    let serverName: String

    init(_ settings: TLSSettings, host: String) throws(OutputError) {
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw OutputError("TLS: cannot create a context") }
        self.context = context
        serverName = settings.serverName ?? host
        _ = spanwatch_ssl_set_min_tls12(context)
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        guard SSL_CTX_load_verify_locations(context, settings.caFile, nil) == 1 else {
            SSL_CTX_free(context)
            throw OutputError("\(settings.caFile): cannot load CA certificates: \(TLSClient.lastError())")
        }
        if let certificate = settings.certificateFile, let key = settings.keyFile {
            guard SSL_CTX_use_certificate_chain_file(context, certificate) == 1,
                  SSL_CTX_use_PrivateKey_file(context, key, SSL_FILETYPE_PEM) == 1,
                  SSL_CTX_check_private_key(context) == 1 else {
                SSL_CTX_free(context)
                throw OutputError("\(certificate): cannot use the client certificate and key: \(TLSClient.lastError())")
            }
        }
    }

    deinit { SSL_CTX_free(context) }

    /// Handshakes over a connected socket; nil when it fails (certificate, name, protocol).
    func open(_ descriptor: Int32) -> (session: OpaquePointer?, error: String?) {
        guard let ssl = SSL_new(context) else { return (nil, "TLS: cannot create a session") }
        SSL_set_fd(ssl, descriptor)
        _ = spanwatch_ssl_set_server_name(ssl, serverName)  // SNI
        SSL_set1_host(ssl, serverName)  // the certificate must name it
        guard SSL_connect(ssl) == 1 else {
            let problem = TLSClient.lastError()
            let verify = SSL_get_verify_result(ssl)
            SSL_free(ssl)
            return (nil, verify != X509_V_OK ? "TLS: \(String(cString: X509_verify_cert_error_string(verify)))" : "TLS: \(problem)")
        }
        // TLS 1.3: the client's handshake ends before the server has checked it (its
        // certificate, above all); a server that refuses says so with an alert right after, in
        // place of its session tickets. Records sent before that alert would be acknowledged by
        // TCP and thrown away, so wait for the server's first word (or a quiet moment) first.
        if SSL_version(ssl) == TLS1_3_VERSION {
            var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            if poll(&entry, 1, TLSClient.confirmMilliseconds) > 0 {
                let (alive, problem) = TLSClient.readPending(ssl, descriptor: descriptor)
                if !alive {
                    SSL_free(ssl)
                    return (nil, problem)
                }
            }
        }
        return (ssl, nil)
    }

    /// How long a new TLS 1.3 session waits for the server's tickets or refusal.
    static let confirmMilliseconds: Int32 = 1500

    /// Reads, without waiting, what the server sent (tickets, an alert, close_notify; a syslog
    /// receiver sends no data): whether the session is still open, and if not, why.
    static func readPending(_ ssl: OpaquePointer, descriptor: Int32) -> (alive: Bool, problem: String?) {
        let flags = fcntl(descriptor, F_GETFL)
        _ = fcntl(descriptor, F_SETFL, flags | O_NONBLOCK)
        defer { _ = fcntl(descriptor, F_SETFL, flags) }
        var buffer = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        ERR_clear_error()  // SSL_get_error reads the thread's error queue: start it empty
        for _ in 0..<64 {
            let got = withUnsafeMutableBytes(of: &buffer) { SSL_read(ssl, $0.baseAddress, Int32($0.count)) }
            if got > 0 { continue }
            switch SSL_get_error(ssl, got) {
            case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE: return (true, nil)
            case SSL_ERROR_ZERO_RETURN: return (false, "TLS: the receiver closed the session")
            default: return (false, "TLS: \(TLSClient.lastError())")
            }
        }
        return (true, nil)
    }

    static func lastError() -> String {
        let code = ERR_get_error()
        guard code != 0 else { return "handshake failed" }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        return textOf(buffer)
    }
}
