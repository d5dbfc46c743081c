/// Up to 32 bytes of text from the wire, kept inline (no allocation): file names, PI service
/// names, block names. Longer text is cut and `truncated` is set.
public struct InlineText: Sendable {
    public static let capacity = 32
    public var bytes = InlineArray<32, UInt8>(repeating: 0)
    public var count = 0
    public var truncated = false
    public init() {}

    public init(_ span: RawSpan) {
        count = min(span.byteCount, InlineText.capacity)
        truncated = span.byteCount > InlineText.capacity
        for index in 0..<count { bytes[index] = span.u8(index) }
    }

    public var isEmpty: Bool { count == 0 }

    /// The bytes as an array (for the event writer, which replaces invalid UTF-8).
    public var array: [UInt8] { (0..<count).map { bytes[$0] } }

    /// The text with trailing NULs and spaces removed (SZL strings are padded).
    public var trimmedArray: [UInt8] {
        var end = count
        while end > 0 && (bytes[end - 1] == 0 || bytes[end - 1] == 0x20) { end -= 1 }
        return (0..<end).map { bytes[$0] }
    }

    public func hasPrefix(_ text: StaticString) -> Bool {
        let length = text.utf8CodeUnitCount
        guard length <= count else { return false }
        return (0..<length).allSatisfy { bytes[$0] == text.utf8Start[$0] }
    }
}
