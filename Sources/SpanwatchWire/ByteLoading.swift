// Byte access over `RawSpan`: the few helpers every decoder uses.
//
// Contract ("validate once, then read", after smoltcp): a decoder checks the span is
// long enough for the fields it reads, then calls these. An out-of-bounds offset traps
// in `RawSpan` itself rather than reading another packet's bytes, so a decoder bug is a
// loud crash in tests and fuzzing, never silent corruption. Network byte order is
// decided at the call site by the helper's name.

extension RawSpan {
    @inlinable @inline(__always)
    public func u8(_ offset: Int) -> UInt8 {
        unsafeLoadUnaligned(fromByteOffset: offset, as: UInt8.self)
    }

    @inlinable @inline(__always)
    public func u16be(_ offset: Int) -> UInt16 {
        UInt16(bigEndian: unsafeLoadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    @inlinable @inline(__always)
    public func u16le(_ offset: Int) -> UInt16 {
        UInt16(littleEndian: unsafeLoadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    @inlinable @inline(__always)
    public func u32be(_ offset: Int) -> UInt32 {
        UInt32(bigEndian: unsafeLoadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inlinable @inline(__always)
    public func u32le(_ offset: Int) -> UInt32 {
        UInt32(littleEndian: unsafeLoadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inlinable @inline(__always)
    public func u64be(_ offset: Int) -> UInt64 {
        UInt64(bigEndian: unsafeLoadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// Copies the span into an array (used only when an event is built, never per packet).
    public func copyBytes() -> [UInt8] {
        withUnsafeBytes { Array($0) }
    }
}

extension Array where Element == UInt8 {
    /// Appends a span's bytes without an intermediate array.
    @inlinable
    public mutating func appendBytes(of span: RawSpan) {
        span.withUnsafeBytes { append(contentsOf: $0) }
    }
}
