/// One partition of one topic: Kafka's unit of assignment, ordering and state.
public struct TopicPartition: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The topic's name.
    public let topic: String
    /// The partition's number, from 0.
    public let partition: Int32

    /// The partition `partition` of `topic`.
    public init(_ topic: String, _ partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    /// Ordered by topic, then partition number.
    public static func < (lhs: TopicPartition, rhs: TopicPartition) -> Bool {
        (lhs.topic, lhs.partition) < (rhs.topic, rhs.partition)
    }

    /// `topic-partition`, as Kafka's tools write it.
    public var description: String { "\(topic)-\(partition)" }
}

/// An offset in a partition with the metadata string committed beside it.
///
/// Exactly writes the id of the checkpoint that holds the partition's state at this offset into
/// the metadata, in the same transaction as the offset.
public struct PartitionOffset: Hashable, Sendable, CustomStringConvertible {
    /// The partition.
    public let topicPartition: TopicPartition
    /// The offset of the next record to read.
    public let offset: Int64
    /// The metadata committed with the offset (empty when none was).
    public let metadata: String

    /// `offset` in `topicPartition`, with `metadata`.
    public init(_ topicPartition: TopicPartition, offset: Int64, metadata: String = "") {
        self.topicPartition = topicPartition
        self.offset = offset
        self.metadata = metadata
    }

    /// A one-line, human-readable rendering, as used in logs and error messages.
    public var description: String {
        metadata.isEmpty ? "\(topicPartition)@\(offset)" : "\(topicPartition)@\(offset) (\(metadata))"
    }
}
