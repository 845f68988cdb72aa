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
    /// Of those, the ones an open transaction holds, each with its last stable offset (where the
    /// transaction's first record is): a `read_committed` reader stops there until it ends.
    public var heldOpen: [TopicPartition: Int64] = [:]
    /// The application's `transaction.timeout.ms`, for how long a transaction of a stopped
    /// instance can hold them.
    public var transactionTimeout: Duration? = nil

    public var description: String {
        let stopped = "the dry run stopped while \(activity): nothing arrived for \(stalledFor.components.seconds) s "
            + "(\(arrived) of about \(expected) records read; not at their end: \(unfinished.map(\.description).joined(separator: ", "))). "
        guard heldOpen.isEmpty else {
            let held = heldOpen.sorted { $0.key < $1.key }.map { "\($0.key) from offset \($0.value)" }.joined(separator: ", ")
            let timeout = transactionTimeout.map { " (this application's: \($0.components.seconds) s)" } ?? ""
            return stopped + "A TRANSACTION HOLDS THEM OPEN (\(held)): a read_committed reader cannot pass its first record until it "
                + "commits or aborts. A running instance commits within its checkpoint interval; an instance stopped in the middle of a "
                + "transaction holds it until the broker aborts it, up to the producer's `transaction.timeout.ms`\(timeout) after it began. "
                + "Run the dry run again once that has passed. (Starting the stopped instance would end it at once, but the "
                + "application then goes on before the replay.) Nothing was produced or committed."
        }
        return stopped
            + "Check that Kafka is reachable and that these partitions can be read (librdkafka's errors are logged), then run it again. "
            + "Nothing was produced or committed."
    }
}
