/// A record for the runtime to produce, to the sink topic or to the dead-letter topic.
public struct OutputRecord: Sendable, Equatable {
    /// The key to produce with (drives the default partitioner when `partition` is `nil`).
    public var key: [UInt8]?
    /// The value bytes.
    public var value: [UInt8]
    /// The headers, in order.
    public var headers: [RecordHeader]
    /// An explicit output partition, or `nil` for the producer's partitioner.
    public var partition: Int32?
    /// The record timestamp, milliseconds since the epoch: the event time when there is one.
    public var timestamp: Int64

    /// An output record with these fields.
    public init(key: [UInt8]?, value: [UInt8], headers: [RecordHeader] = [], partition: Int32? = nil, timestamp: Int64) {
        self.key = key
        self.value = value
        self.headers = headers
        self.partition = partition
        self.timestamp = timestamp
    }

    /// The header value named `name`, decoded as UTF-8, or `nil`.
    public func header(_ name: String) -> String? {
        guard let header = headers.first(where: { $0.name == name }) else { return nil }
        return String(decoding: header.value, as: UTF8.self)
    }
}
