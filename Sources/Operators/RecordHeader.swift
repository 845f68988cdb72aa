/// One Kafka header: a name and raw bytes.
public struct RecordHeader: Sendable, Hashable {
    /// The header name.
    public var name: String
    /// The header value, as raw bytes.
    public var value: [UInt8]

    /// A header with this name and value.
    public init(name: String, value: [UInt8]) {
        self.name = name
        self.value = value
    }

    /// A header whose value is the UTF-8 bytes of `value`.
    public init(name: String, text value: String) {
        self.init(name: name, value: Array(value.utf8))
    }
}
