import KafkaClient

/// Where a replay would produce output that is already committed.
public struct ReplayOverlap: Sendable, Equatable, CustomStringConvertible {
    /// The input partition.
    public let partition: TopicPartition
    /// Where the replay starts (the checkpoint's offset).
    public let from: Int64
    /// Where the committed output ends (the group's committed offset).
    public let to: Int64

    /// An overlap of `partition` from `from` up to `to`.
    public init(partition: TopicPartition, from: Int64, to: Int64) {
        self.partition = partition
        self.from = from
        self.to = to
    }

    public var description: String { "\(partition) offsets \(from)..<\(to)" }
}

/// Decides whether replaying a checkpoint would write output that is already committed.
public enum ReplayGuard {
    /// The input ranges whose outputs are committed already: from the checkpoint's offset up to
    /// the group's committed offset, for each partition where the latter is ahead.
    public static func overlaps(checkpointOffsets: [TopicPartition: Int64], committed: [TopicPartition: PartitionOffset]) -> [ReplayOverlap] {
        checkpointOffsets.compactMap { partition, from in
            guard let to = committed[partition]?.offset, to > from else { return nil }
            return ReplayOverlap(partition: partition, from: from, to: to)
        }.sorted { $0.partition < $1.partition }
    }

    /// The refusal a user sees when a replay would duplicate committed output.
    public static func refusal(checkpoint: CheckpointID, sink: String, overlaps: [ReplayOverlap]) -> String {
        "replaying checkpoint \(checkpoint) into `\(sink)` would produce again the outputs already committed for "
            + overlaps.map(\.description).joined(separator: ", ")
            + ". Readers would see them twice. Options: `--dry-run` to compare without producing; point `sink.topic` "
            + "at a new topic and pass `--allow-duplicate-output` to confirm; or pass `--allow-duplicate-output` if "
            + "duplicates in `\(sink)` are what you want."
    }
}
