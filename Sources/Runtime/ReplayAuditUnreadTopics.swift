import KafkaClient

/// A replay (or `--dry-run`) of a checkpoint that holds partitions of topics `source.topics` no
/// longer lists (dropped from the configuration since the checkpoint): the processor reads only
/// the configured topics and would leave those partitions out without a word; the audit would
/// wait for them until its stall limit and then blame Kafka. Both stop at once instead, before
/// reading anything.
public struct ReplayAuditUnreadTopics: Error, Sendable, CustomStringConvertible {
    /// The checkpoint replayed.
    public let checkpoint: CheckpointID
    /// Its partitions whose topic is not among ``sourceTopics``, sorted.
    public let partitions: [TopicPartition]
    /// The topics the configuration reads.
    public let sourceTopics: [String]

    /// The error for `checkpoint`'s partitions `restored`, or `nil` when the configuration reads
    /// every one of their topics.
    public init?(checkpoint: CheckpointID, restored: some Collection<TopicPartition>, sourceTopics: [String]) {
        let read = Set(sourceTopics)
        let unread = restored.filter { !read.contains($0.topic) }.sorted()
        guard !unread.isEmpty else { return nil }
        self.checkpoint = checkpoint
        partitions = unread
        self.sourceTopics = sourceTopics
    }

    public var description: String {
        let topics = Array(Set(partitions.map(\.topic))).sorted()
        let named = topics.map { "`\($0)`" }.joined(separator: ", ")
        return "checkpoint \(checkpoint) holds partitions of \(named) (\(partitions.map(\.description).joined(separator: ", "))), "
            + "which `source.topics` no longer lists (it reads \(sourceTopics.map { "`\($0)`" }.joined(separator: ", "))): "
            + "the dry run cannot replay them, and a replay with this configuration would not read them. "
            + "Put \(named) back in `source.topics` to replay \(topics.count == 1 ? "it" : "them"), or replay from a checkpoint taken since "
            + "(`exactly checkpoints show <id>` prints a checkpoint's partitions). Nothing was produced or committed."
    }
}
