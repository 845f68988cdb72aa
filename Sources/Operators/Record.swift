/// A record flowing through a pipeline: the consumed Kafka record, or a record an operator made.
///
/// The source coordinates (`topic`, `partition`, `offset`) always name the input record a result
/// came from (for a window result: the record whose watermark advance fired it, or offset -1 when
/// the runtime advanced the watermark itself), so that a dead letter can always be traced back.
public struct Record: Sendable, Equatable {
    /// The record key; operators after `keyBy` see the extracted key here.
    public var key: [UInt8]?
    /// The record value (JSON for the YAML operators).
    public var value: [UInt8]
    /// The record headers, in order.
    public var headers: [RecordHeader]
    /// The source topic.
    public var topic: String
    /// The source partition.
    public var partition: Int32
    /// The source offset.
    public var offset: Int64
    /// The Kafka record timestamp, milliseconds since the epoch.
    public var timestamp: Int64
    /// The event time in milliseconds since the epoch, once the pipeline has extracted it.
    public var eventTime: Int64?

    /// A record as consumed; the pipeline fills in `eventTime`.
    public init(
        key: [UInt8]?, value: [UInt8], headers: [RecordHeader] = [],
        topic: String, partition: Int32, offset: Int64, timestamp: Int64, eventTime: Int64? = nil
    ) {
        self.key = key
        self.value = value
        self.headers = headers
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.timestamp = timestamp
        self.eventTime = eventTime
    }
}
