extension String {
    /// The text without leading and trailing spaces.
    public func trimmedOfSpaces() -> String {
        var s = Substring(self)
        while let first = s.first, first == " " { s = s.dropFirst() }
        while let last = s.last, last == " " { s = s.dropLast() }
        return String(s)
    }
}

/// Identity text from the wire (device names, versions), trimmed, with anything unprintable
/// replaced: identities land in YAML and JSON.
public enum IdentityText {
    public static func printable(_ bytes: [UInt8]) -> String {
        var scalars = String.UnicodeScalarView()
        for byte in bytes where byte != 0 {
            scalars.append(byte >= 0x20 && byte < 0x7F ? Unicode.Scalar(byte) : "?")
        }
        return String(scalars).trimmedOfSpaces()
    }
}
