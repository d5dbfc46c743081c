import SpanwatchApp
import Testing

/// Reads a configuration text as `f.yaml`.
func configuration(_ text: String) throws(ConfigurationError) -> SpanwatchConfiguration {
    try SpanwatchConfiguration.parse("version: 1\n" + text, file: "f.yaml")
}

/// The one-line error a configuration text gets (`f.yaml:LINE: ...`), or nil when it is accepted.
func refusal(_ text: String) -> String? {
    do {
        _ = try configuration(text)
        return nil
    } catch {
        return error.description
    }
}
