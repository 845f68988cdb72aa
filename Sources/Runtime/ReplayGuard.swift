import Checkpointing
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
        ranges(checkpointOffsets: checkpointOffsets, committed: committed) { checkpoint, committed in
            committed > checkpoint ? (checkpoint, committed) : nil
        }
    }

    /// The input ranges a replay would skip: from the group's committed offset up to the
    /// checkpoint's, for each partition where the checkpoint is ahead. Such a checkpoint's
    /// transaction did not commit (it aborted, or the process died before the commit): the
    /// outputs of those inputs were never seen by a reader, and a replay from it would never
    /// produce them. A partition with no committed offset has no gap: give lost offsets the
    /// last known ones first (``committedOrLastKnown(_:partitions:lastKnownCommitted:)``).
    public static func gaps(checkpointOffsets: [TopicPartition: Int64], committed: [TopicPartition: PartitionOffset]) -> [ReplayOverlap] {
        ranges(checkpointOffsets: checkpointOffsets, committed: committed) { checkpoint, committed in
            checkpoint > committed ? (committed, checkpoint) : nil
        }
    }

    /// `committed`, with each of `partitions` whose committed offset is not one an Exactly
    /// checkpoint committed given the offset of the newest checkpoint known to have committed it
    /// (`lastKnownCommitted`), if any, or nothing; and the partitions so filled in.
    ///
    /// Offsets can be lost (the group's offsets expired after `offsets.retention.minutes`, or were
    /// deleted): with nothing committed the checks saw neither a gap nor an overlap, so a replay
    /// from a checkpoint that never committed skipped input unsaid, and one from an older
    /// checkpoint wrote committed outputs again unsaid. Or another program set them (a
    /// `kafka-consumer-groups --reset-offsets`, no checkpoint named): the gap check then refused
    /// the replay as if a transaction had not committed, while a start without the replay refused
    /// the offsets, leaving no way on.
    public static func committedOrLastKnown(
        _ committed: [TopicPartition: PartitionOffset], partitions: some Sequence<TopicPartition>,
        lastKnownCommitted: (TopicPartition) throws -> CheckpointCandidate?
    ) rethrows -> (offsets: [TopicPartition: PartitionOffset], filledIn: [TopicPartition]) {
        var offsets = committed
        var filledIn: [TopicPartition] = []
        for partition in partitions {
            if let offset = committed[partition], case .checkpoint = OffsetMetadata.decode(offset.metadata) { continue }
            offsets[partition] = nil
            guard let known = try lastKnownCommitted(partition) else { continue }
            offsets[partition] = PartitionOffset(partition, offset: known.nextOffset, metadata: OffsetMetadata.encode(known.id, forks: known.forks))
            filledIn.append(partition)
        }
        return (offsets, filledIn.sorted())
    }

    /// The newest of `candidates` (one partition's checkpoints) known to have committed whose
    /// offset is known, for ``committedOrLastKnown(_:partitions:lastKnownCommitted:)`` and the
    /// refusal of lost offsets: the one at the highest offset of the latest history. A checkpoint
    /// of a history a replay left may hold a higher offset than any since; going on from it would
    /// go on from state the replay redid.
    ///
    /// The latest history is one no other committed checkpoint's history goes on from (a replay
    /// within it came later), and among such (replays from the same history, into different
    /// topics, say) the one of the newest commit by the time it was written: clocks of hosts
    /// sharing the store decide only between replays, not between a history and its own fork.
    public static func lastKnownCommitted(among candidates: [CheckpointCandidate]) -> CheckpointCandidate? {
        let committed = candidates.filter { $0.knownCommitted && $0.nextOffset != .max }
        let latestHistories = committed.filter { candidate in
            !committed.contains { $0.forks.count > candidate.forks.count && $0.forks.starts(with: candidate.forks) }
        }
        guard let latest = latestHistories.max(by: { ($0.createdAtMilliseconds, $0.id) < ($1.createdAtMilliseconds, $1.id) }) else { return nil }
        return committed.filter { ReplayFork.allows($0.forks, at: $0.nextOffset, under: latest.forks) }.max { $0.nextOffset < $1.nextOffset }
    }

    /// The checkpoints `committed`'s metadata names, sorted (for the refusals).
    public static func namedCheckpoints(_ committed: [TopicPartition: PartitionOffset]) -> [String] {
        Set(committed.values.compactMap { offset -> String? in
            if case .checkpoint(let id) = OffsetMetadata.decode(offset.metadata) { return id.description }
            return nil
        }).sorted()
    }

    /// For each partition with a committed offset, the range `range(checkpoint, committed)`
    /// gives, if any; sorted by partition.
    private static func ranges(
        checkpointOffsets: [TopicPartition: Int64], committed: [TopicPartition: PartitionOffset],
        _ range: (_ checkpoint: Int64, _ committed: Int64) -> (from: Int64, to: Int64)?
    ) -> [ReplayOverlap] {
        checkpointOffsets.compactMap { partition, checkpoint in
            guard let offset = committed[partition]?.offset, let (from, to) = range(checkpoint, offset) else { return nil }
            return ReplayOverlap(partition: partition, from: from, to: to)
        }.sorted { $0.partition < $1.partition }
    }

    /// The refusal a user sees when a replay would skip input whose outputs were never
    /// committed (``gaps(checkpointOffsets:committed:)``); `named` are the checkpoints Kafka's
    /// committed offsets name.
    public static func refusal(checkpoint: CheckpointID, skipping gaps: [ReplayOverlap], named: [String]) -> String {
        "checkpoint \(checkpoint) is ahead of what Kafka committed (its transaction did not commit, or the committed offsets were moved back since): replaying it would skip "
            + gaps.map(\.description).joined(separator: ", ")
            + ", whose outputs no reader has seen, and never produce them. Nothing was produced. Options: replay from a checkpoint "
            + "at or before the committed offsets (`exactly checkpoints list` shows them"
            + (named.isEmpty ? "" : "; Kafka's committed offsets name \(named.joined(separator: ", "))")
            + "), or start without --replay-from-checkpoint, which restores what Kafka committed."
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
