/// A NUL-terminated C buffer as text (what fgets, strerror_r and OpenSSL hand back).
func textOf(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
