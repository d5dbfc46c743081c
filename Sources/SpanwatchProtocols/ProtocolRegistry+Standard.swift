import SpanwatchFlow

extension ProtocolRegistry {
    /// The protocols spanwatch parses: the one list. Its order is the order of probing (weak
    /// probes last) and of the baseline file's sections. A new protocol is a folder beside these
    /// and one line here.
    public static let standard = ProtocolRegistry([
        ModbusProtocol.self,
        DNP3Protocol.self,
        S7commProtocol.self,
        ENIPProtocol.self,
        IEC104Protocol.self,
        BACnetProtocol.self,
        MQTTProtocol.self,
        HTTPProtocol.self,
        DNSProtocol.self,
    ])
}

extension EngineConfiguration {
    /// The engine with every standard protocol.
    public init() { self.init(protocols: .standard) }
}
