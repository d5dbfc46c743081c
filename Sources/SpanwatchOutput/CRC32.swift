/// The spool's record check (each record carries the CRC-32 of its payload).
/// CRC-32 (IEEE 802.3, reflected 0xEDB88320: zlib's), eight bytes a step (slicing-by-8).
public enum CRC32 {
    /// Eight tables of 256: table k gives the CRC of a byte followed by k zero bytes.
    nonisolated(unsafe) static let tables: UnsafePointer<UInt32> = {
        let tables = UnsafeMutablePointer<UInt32>.allocate(capacity: 8 * 256)
        for value in 0..<256 {
            var crc = UInt32(value)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
            tables[value] = crc
        }
        for value in 0..<256 {
            for k in 1..<8 {
                let previous = tables[(k - 1) * 256 + value]
                tables[k * 256 + value] = (previous >> 8) ^ tables[Int(previous & 0xFF)]
            }
        }
        return UnsafePointer(tables)
    }()

    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard var position = bytes.baseAddress else { return 0 }
        let t = tables
        var remaining = bytes.count
        var crc: UInt32 = 0xFFFF_FFFF
        while remaining >= 8 {
            let low = UInt32(littleEndian: position.loadUnaligned(as: UInt32.self)) ^ crc
            let high = UInt32(littleEndian: position.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
            crc = t[7 * 256 + Int(low & 0xFF)] ^ t[6 * 256 + Int((low >> 8) & 0xFF)]
                ^ t[5 * 256 + Int((low >> 16) & 0xFF)] ^ t[4 * 256 + Int(low >> 24)]
                ^ t[3 * 256 + Int(high & 0xFF)] ^ t[2 * 256 + Int((high >> 8) & 0xFF)]
                ^ t[1 * 256 + Int((high >> 16) & 0xFF)] ^ t[Int(high >> 24)]
            position += 8
            remaining -= 8
        }
        while remaining > 0 {
            crc = t[Int((crc ^ UInt32(position.load(as: UInt8.self))) & 0xFF)] ^ (crc >> 8)
            position += 1
            remaining -= 1
        }
        return ~crc
    }
}
