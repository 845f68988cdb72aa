import KafkaClient

/// A `--dry-run` audit that could not finish reading: it reports nothing rather than a
/// comparison made on part of the records.
public struct ReplayAuditError: Error, Sendable, CustomStringConvertible {
    /// A partition that had not reached the end it had when the audit started.
    public struct Unfinished: Sendable, CustomStringConvertible {
        public let partition: TopicPartition
        /// The consumer's read position, `nil` before it had one (not assigned or not fetched yet).
        public let position: Int64?
        public let end: Int64

        public var description: String {
            "\(partition) at " + (position.map { "\($0) of \(end)" } ?? "no position yet (end \(end))")
        }
    }

    /// What the audit was reading ("replaying the input", "reading the committed output").
    public let activity: String
    /// How long nothing arrived before the audit gave up.
    public let stalledFor: Duration
    /// The records that had arrived, and about how many were expected.
    public let arrived: Int64
    public let expected: Int64
    /// The partitions that had not reached their end.
    public let unfinished: [Unfinished]

    public var description: String {
        "the dry run stopped while \(activity): nothing arrived for \(stalledFor.components.seconds) s "
            + "(\(arrived) of about \(expected) records read; not at their end: \(unfinished.map(\.description).joined(separator: ", "))). "
            + "Check that Kafka is reachable and that these partitions can be read (librdkafka's errors are logged), then run it again. "
            + "Nothing was produced or committed."
    }
}
