import SpanwatchFlow
import SpanwatchWire

/// An IEC 60870-5-104 connection between a controlling station (client) and a controlled station
/// (server) on port 2404, built frame by frame with sequence numbers kept.
public struct IEC104Conversation {
    public var factory = FrameFactory()
    public let client: UInt32, server: UInt32, clientPort: UInt16
    var clientSeq: UInt32 = 1001, serverSeq: UInt32 = 5001
    /// N(S) of the next I-frame each side sends.
    public var clientSend: UInt16 = 0, serverSend: UInt16 = 0
    public var time: Timestamp

    public init(client: UInt32 = 0x0A14_0101, server: UInt32 = 0x0A14_0202, clientPort: UInt16 = 40104, time: Timestamp = 1_000_000) {
        self.client = client
        self.server = server
        self.clientPort = clientPort
        self.time = time
    }

    /// SYN, SYN-ACK, ACK.
    public mutating func open(_ processor: PacketProcessor) {
        factory.tcp(src: client, dst: server, sport: clientPort, dport: 2404, seq: 1000, ack: 0, flags: 0x02)
        step(processor)
        factory.tcp(src: server, dst: client, sport: 2404, dport: clientPort, seq: 5000, ack: 1001, flags: 0x12)
        step(processor)
        factory.tcp(src: client, dst: server, sport: clientPort, dport: 2404, seq: 1001, ack: 5001, flags: 0x10)
        step(processor)
    }

    /// Bytes from one side, as one TCP segment.
    public mutating func send(_ payload: [UInt8], fromClient: Bool, _ processor: PacketProcessor) {
        if fromClient {
            factory.tcp(src: client, dst: server, sport: clientPort, dport: 2404, seq: clientSeq, ack: serverSeq, flags: 0x18, payload: payload)
            clientSeq += UInt32(payload.count)
        } else {
            factory.tcp(src: server, dst: client, sport: 2404, dport: clientPort, seq: serverSeq, ack: clientSeq, flags: 0x18, payload: payload)
            serverSeq += UInt32(payload.count)
        }
        step(processor)
    }

    mutating func step(_ processor: PacketProcessor) {
        factory.feed(processor, time: time)
        time += 10_000
    }

    /// A U-frame: 0x07 STARTDT act, 0x0B STARTDT con, 0x43 TESTFR act, ...
    public static func uFrame(_ control: UInt8) -> [UInt8] { [0x68, 0x04, control, 0x00, 0x00, 0x00] }

    /// An I-frame with one information object (IOA, then the element bytes), N(S) taken from the
    /// side that sends it.
    public mutating func iFrame(type: UInt8, cause: UInt8, commonAddress: UInt16 = 1, ioa: UInt32, element: [UInt8], fromClient: Bool) -> [UInt8] {
        let send = fromClient ? clientSend : serverSend
        if fromClient { clientSend = (clientSend + 1) & 0x7FFF } else { serverSend = (serverSend + 1) & 0x7FFF }
        let body: [UInt8] = [type, 0x01, cause, 0x00, UInt8(commonAddress & 0xFF), UInt8(commonAddress >> 8),
                             UInt8(ioa & 0xFF), UInt8((ioa >> 8) & 0xFF), UInt8(ioa >> 16)] + element
        return [0x68, UInt8(4 + body.count), UInt8((send << 1) & 0xFF), UInt8(send >> 7), 0x00, 0x00] + body
    }
}
