/// A topic and partition number: the key of logs, offsets and transactions.
struct TopicPartition: Hashable, Sendable, Codable, CustomStringConvertible {
    var topic: String
    var partition: Int32

    var description: String { "\(topic)-\(partition)" }
}

/// A committed consumer offset with the metadata string the consumer attached.
struct CommittedOffset: Sendable, Codable, Equatable {
    var offset: Int64
    var leaderEpoch: Int32
    var metadata: String?
}
