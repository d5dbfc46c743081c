extension String {
    /// The text without leading and trailing spaces.
    public func trimmedOfSpaces() -> String {
        var s = Substring(self)
        while let first = s.first, first == " " { s = s.dropFirst() }
        while let last = s.last, last == " " { s = s.dropLast() }
        return String(s)
    }
}
