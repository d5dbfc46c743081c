import SpanwatchFlow
import SpanwatchWire

/// Ethernet/IPv4/TCP frames built by hand for tests (checksums left zero: the engine does not
/// check them).
public struct FrameFactory {
    public var bytes = [UInt8](repeating: 0, count: 54 + 64)

    public init() {}

    @discardableResult
    public mutating func tcp(src: UInt32, dst: UInt32, sport: UInt16, dport: UInt16, seq: UInt32, ack: UInt32, flags: UInt8, payload: [UInt8] = []) -> Int {
        let total = 40 + payload.count
        var b = [UInt8](repeating: 0, count: 14)
        b[12] = 0x08
        b += [0x45, 0, UInt8(total >> 8), UInt8(total & 0xFF), 0, 0, 0x40, 0, 64, 6, 0, 0]
        for v in [src, dst] { b += [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
        b += [UInt8(sport >> 8), UInt8(sport & 0xFF), UInt8(dport >> 8), UInt8(dport & 0xFF)]
        for v in [seq, ack] { b += [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
        b += [0x50, flags, 0xFA, 0xF0, 0, 0, 0, 0]
        b += payload
        bytes = b
        return b.count
    }

    /// An Ethernet/IPv4/UDP frame.
    @discardableResult
    public mutating func udp(src: UInt32, dst: UInt32, sport: UInt16, dport: UInt16, payload: [UInt8]) -> Int {
        let total = 28 + payload.count
        var b = [UInt8](repeating: 0, count: 14)
        b[12] = 0x08
        b += [0x45, 0, UInt8(total >> 8), UInt8(total & 0xFF), 0, 0, 0x40, 0, 64, 17, 0, 0]
        for v in [src, dst] { b += [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
        let length = 8 + payload.count
        b += [UInt8(sport >> 8), UInt8(sport & 0xFF), UInt8(dport >> 8), UInt8(dport & 0xFF), UInt8(length >> 8), UInt8(length & 0xFF), 0, 0]
        b += payload
        bytes = b
        return b.count
    }

    public func feed(_ processor: PacketProcessor, time: Timestamp, count: UInt64 = 0) {
        bytes.withUnsafeBytes { raw in
            processor.process(raw.bytes, linkType: .ethernet, wireLength: bytes.count, timestamp: time, pcapCount: count)
        }
    }
}
