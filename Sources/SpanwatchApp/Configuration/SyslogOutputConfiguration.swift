import SpanwatchOutput
import Yams

#if canImport(Glibc)
import Glibc
#endif

/// `outputs.syslog`: RFC 5424 over TCP or TLS with octet-counted framing, through a bounded disk
/// spool.
public struct SyslogOutputConfiguration: Sendable, Equatable {
    public var host: String
    public var port: UInt16
    public var transport = SyslogTransport.tcp
    /// Syslog facility number (local5 = 21, Suricata's EVE syslog default).
    public var facility = 21
    public var spoolDirectory = "/var/lib/spanwatch/spool"
    public var spoolBytes = 256 << 20
    /// At exit, how long delivery may go on; what is left stays spooled for the next start.
    public var drainSeconds = 10.0
    /// Event types sent (nil: all).
    public var types: Set<String>? = nil
    /// The key path in the file, for messages (`outputs.syslog` or `outputs.syslog[1]`).
    public var key = "outputs.syslog"

    /// How stats, metrics and messages name it: `syslog:HOST:PORT`.
    public var name: String { "syslog:" + (host.contains(":") ? "[\(host)]" : host) + ":\(port)" }

    static let facilities: [String: Int] = ["kern": 0, "user": 1, "daemon": 3, "auth": 4, "syslog": 5, "local0": 16, "local1": 17,
                                            "local2": 18, "local3": 19, "local4": 20, "local5": 21, "local6": 22, "local7": 23]

    static func parse(_ node: Node, path: String, reader: ConfigReader) throws(ConfigurationError) -> SyslogOutputConfiguration {
        let map = try reader.mapping(node, path: path)
        try reader.allowOnly(map, ["address", "transport", "facility", "spool", "spool_size", "drain_timeout", "tls", "types"], path: path, node: node)
        guard let addressNode = map["address"] else { throw ConfigurationError("\(reader.at(node)): '\(path).address' is missing (host:port)") }
        let address = try reader.string(addressNode, path: "\(path).address")
        guard let colon = address.lastIndex(of: ":"), let port = UInt16(address[address.index(after: colon)...]), port > 0 else {
            throw ConfigurationError("\(reader.at(addressNode)): '\(path).address' must be HOST:PORT, not '\(address)'")
        }
        var host = String(address[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw ConfigurationError("\(reader.at(addressNode)): '\(path).address' has no host") }
        var output = SyslogOutputConfiguration(host: host, port: port)
        output.key = path
        if let node = map["types"] { output.types = try reader.eventTypes(node, path: "\(path).types") }
        let transport = try map["transport"].map { node throws(ConfigurationError) in try reader.string(node, path: "\(path).transport") } ?? "tcp"
        switch transport {
        case "tcp", "udp":
            if let tls = map["tls"] { throw ConfigurationError("\(reader.at(tls)): '\(path).tls' needs 'transport: tls'") }
            if transport == "udp" { output.transport = .udp }
        case "tls":
            guard let tlsNode = map["tls"] else {
                throw ConfigurationError("\(reader.at(node)): 'transport: tls' needs '\(path).tls' with at least 'ca_file'")
            }
            let tls = try reader.mapping(tlsNode, path: "\(path).tls")
            try reader.allowOnly(tls, ["ca_file", "cert_file", "key_file", "server_name"], path: "\(path).tls", node: tlsNode)
            guard tls["ca_file"] != nil else { throw ConfigurationError("\(reader.at(tlsNode)): '\(path).tls.ca_file' is missing") }
            var files: [String: String] = [:]
            for key in ["ca_file", "cert_file", "key_file"] {
                guard let fileNode = tls[key] else { continue }
                let file = try reader.string(fileNode, path: "\(path).tls.\(key)")
                // Caught here, not at the first connection: check-config says it.
                guard access(file, R_OK) == 0 else {
                    throw ConfigurationError("\(reader.at(fileNode)): '\(path).tls.\(key)' cannot be read: \(file): \(String(cString: strerror(errno)))")
                }
                files[key] = file
            }
            guard (files["cert_file"] == nil) == (files["key_file"] == nil) else {
                throw ConfigurationError("\(reader.at(tlsNode)): '\(path).tls' needs both 'cert_file' and 'key_file', or neither")
            }
            let serverName = try tls["server_name"].map { node throws(ConfigurationError) in try reader.string(node, path: "\(path).tls.server_name") }
            output.transport = .tls(TLSSettings(caFile: files["ca_file"]!, certificateFile: files["cert_file"], keyFile: files["key_file"],
                                                serverName: serverName))
        default:
            throw ConfigurationError("\(reader.at(map["transport"]!)): '\(path).transport' must be tcp, tls or udp, not '\(transport)'")
        }
        if let node = map["facility"] {
            let name = try reader.string(node, path: "\(path).facility")
            guard let number = facilities[name] else {
                throw ConfigurationError("\(reader.at(node)): '\(path).facility' is unknown: '\(name)' (\(facilities.keys.sorted().joined(separator: ", ")))")
            }
            output.facility = number
        }
        if let node = map["spool"] { output.spoolDirectory = try reader.string(node, path: "\(path).spool") }
        if let node = map["spool_size"] {
            output.spoolBytes = try reader.size(node, path: "\(path).spool_size")
            guard output.spoolBytes >= 64 << 10 else { throw ConfigurationError("\(reader.at(node)): '\(path).spool_size' must be at least 64KiB") }
        }
        if let node = map["drain_timeout"] { output.drainSeconds = Double(try reader.duration(node, path: "\(path).drain_timeout", allowZero: true)) }
        return output
    }
}
