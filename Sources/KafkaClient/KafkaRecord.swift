/// A header of a Kafka record: a name and an optional value.
public struct KafkaHeader: Hashable, Sendable {
    /// The header's name.
    public let name: String
    /// The header's value; `nil` is distinct from an empty value.
    public let value: [UInt8]?

    /// A header named `name` with `value`.
    public init(_ name: String, _ value: [UInt8]?) {
        self.name = name
        self.value = value
    }

    /// A header whose value is the UTF-8 bytes of `text`.
    public init(_ name: String, text: String) {
        self.init(name, Array(text.utf8))
    }
}

/// A record read from Kafka. Its bytes are copied out of librdkafka, so it outlives the poll.
public struct ConsumedRecord: Sendable {
    /// Where the record was read.
    public let topicPartition: TopicPartition
    /// Its offset in the partition.
    public let offset: Int64
    /// Its key, or `nil` when it has none.
    public let key: [UInt8]?
    /// Its value (empty for a null value).
    public let value: [UInt8]
    /// Its headers, in order.
    public let headers: [KafkaHeader]
    /// Its timestamp in milliseconds since the epoch, or `nil` when the record has none.
    public let timestampMilliseconds: Int64?

    /// A record as read from Kafka.
    public init(
        topicPartition: TopicPartition,
        offset: Int64,
        key: [UInt8]?,
        value: [UInt8],
        headers: [KafkaHeader] = [],
        timestampMilliseconds: Int64? = nil
    ) {
        self.topicPartition = topicPartition
        self.offset = offset
        self.key = key
        self.value = value
        self.headers = headers
        self.timestampMilliseconds = timestampMilliseconds
    }
}

/// A record to produce.
public struct ProducerRecord: Sendable {
    /// The topic to write to.
    public var topic: String
    /// The partition to write to; `nil` lets the producer's partitioner choose from the key.
    public var partition: Int32?
    /// The key, or `nil` for none.
    public var key: [UInt8]?
    /// The value.
    public var value: [UInt8]
    /// Headers, in order.
    public var headers: [KafkaHeader]
    /// The record's timestamp in milliseconds since the epoch; `nil` stamps it when produced.
    public var timestampMilliseconds: Int64?

    /// A record for `topic`.
    public init(
        topic: String,
        partition: Int32? = nil,
        key: [UInt8]? = nil,
        value: [UInt8],
        headers: [KafkaHeader] = [],
        timestampMilliseconds: Int64? = nil
    ) {
        self.topic = topic
        self.partition = partition
        self.key = key
        self.value = value
        self.headers = headers
        self.timestampMilliseconds = timestampMilliseconds
    }
}
