import SpanwatchWire
import SpanwatchJSON
import SpanwatchFlow

/// The `http` object with Suricata's field names (hostname, url, http_user_agent, http_method,
/// protocol, status, length), plus the Authorization scheme and, for Basic, the user name: the
/// password is never kept, so it cannot be written.
enum HTTPEveObject {
    static func write(_ event: HTTPEvent, into builder: JSONLineBuilder) {
        builder.beginObject("http")
        if let request = event.request {
            if let host = request.host { builder.field("hostname", bytes: host) }
            builder.field("url", bytes: request.uri)
            if let agent = request.userAgent { builder.field("http_user_agent", bytes: agent) }
            if let type = request.contentType { builder.field("http_request_content_type", bytes: type) }
            builder.field("http_method", bytes: request.method)
            builder.field("protocol", bytes: request.version)
            if let scheme = request.authorizationScheme { builder.field("authorization_scheme", bytes: scheme) }
            if let username = request.username { builder.field("username", bytes: username) }
            builder.field("request_body_length", request.bodyLength)
        }
        if let response = event.response {
            if event.request == nil { builder.field("protocol", bytes: response.version) }
            builder.field("status", response.status)
            if let type = response.contentType { builder.field("http_content_type", bytes: type) }
            if let server = response.server { builder.field("server", bytes: server) }
            if let location = response.location { builder.field("redirect", bytes: location) }
            builder.field("length", response.bodyLength)
        }
        builder.endObject()
    }
}
