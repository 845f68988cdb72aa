import KafkaClient

/// A `--dry-run` audit that could not finish reading: it reports nothing rather than a
/// comparison made on part of the records.
public struct ReplayAuditError: Error, Sendable, CustomStringConvertible {
    /// What the audit was reading ("replaying the input", "reading the committed output").
    public let activity: String
    /// How long nothing arrived before the audit gave up.
    public let stalledFor: Duration
    /// The records that had arrived, and about how many were expected.
    public let arrived: Int64
    public let expected: Int64
    /// The partitions that had not reached their end, with that end offset.
    public let unfinished: [(partition: TopicPartition, end: Int64)]

    public var description: String {
        let partitions = unfinished.map { "\($0.partition) (end \($0.end))" }.joined(separator: ", ")
        return "the dry run stopped while \(activity): no record arrived for \(stalledFor) "
            + "(\(arrived) of about \(expected) records read; not at their end: \(partitions)). "
            + "Check that Kafka is reachable and that these partitions can be read (librdkafka's errors are logged), then run it again. "
            + "Nothing was produced or committed."
    }
}
