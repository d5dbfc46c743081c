public enum SpanwatchVersion {
    public static let string = "0.1.0"
}
