import NIOCore

/// The header in front of every request: which API, which version, and the correlation id that
/// the response echoes.
struct RequestHeader: Sendable {
    var apiKey: Int16
    var apiVersion: Int16
    var correlationId: Int32
    var clientId: String?

    /// Reads the header; afterwards `reader` is positioned at the body. The client id is a classic
    /// (non-compact) string even in flexible headers; only the tagged fields differ.
    static func decode(_ buffer: inout ByteBuffer) throws -> RequestHeader {
        var reader = KafkaReader(buffer)
        let apiKey = try reader.int16("api_key")
        let apiVersion = try reader.int16("api_version")
        let correlationId = try reader.int32("correlation_id")
        let clientId = try reader.nullableString("client_id")
        if let key = ApiKey(rawValue: apiKey), key.isFlexible(apiVersion) {
            var tagged = KafkaReader(reader.buffer, flexible: true)
            try tagged.taggedFields()
            reader.buffer = tagged.buffer
        }
        buffer = reader.buffer
        return RequestHeader(apiKey: apiKey, apiVersion: apiVersion, correlationId: correlationId, clientId: clientId)
    }
}
