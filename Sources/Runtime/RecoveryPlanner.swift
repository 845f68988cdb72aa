import Checkpointing
import KafkaClient

/// What the checkpoint store knows of one checkpoint, for one partition.
public struct CheckpointCandidate: Sendable, Equatable {
    /// The checkpoint.
    public let id: CheckpointID
    /// The partition's next input offset recorded in the checkpoint.
    public let nextOffset: Int64
    /// Whether the checkpoint's transaction is known to have committed (the store marks a
    /// checkpoint once its commit returns).
    public let knownCommitted: Bool
    /// `nil` when the partition's files and the manifest verify; otherwise why they do not.
    public var damage: String?
    /// The replays the partition's history went through, as the checkpoint records them
    /// (``ReplayFork``); empty when none, or when the manifest cannot be read.
    public let forks: [ReplayFork]
    /// When the checkpoint was written (milliseconds since 1970), 0 when unknown.
    public let createdAtMilliseconds: Int64
    /// The replay that wrote the checkpoint, as its manifest records it; `nil` when none, or when
    /// the manifest cannot be read. Carried here so that the replay's checks need not read the
    /// manifests the listing read already.
    public let replay: ReplayLineage?

    /// A candidate as the store describes it.
    public init(
        id: CheckpointID, nextOffset: Int64, knownCommitted: Bool, damage: String? = nil, forks: [ReplayFork] = [], createdAtMilliseconds: Int64 = 0,
        replay: ReplayLineage? = nil
    ) {
        self.id = id
        self.nextOffset = nextOffset
        self.knownCommitted = knownCommitted
        self.damage = damage
        self.forks = forks
        self.createdAtMilliseconds = createdAtMilliseconds
        self.replay = replay
    }
}

/// How one partition resumes.
public enum RecoveryPlan: Sendable, Equatable {
    /// Nothing was ever committed for the partition: start empty, where `auto.offset.reset` says.
    case freshStart
    /// Restore the checkpoint's state and read on from `offset` (the committed offset).
    case restore(CheckpointID, offset: Int64)
    /// Restore an older checkpoint and re-read from its offset with the sink muted up to
    /// `mutedUntil` (those outputs were committed already), then continue live.
    case restoreAndReplayMuted(CheckpointID, from: Int64, mutedUntil: Int64, because: String)
    /// No consistent state can be built; the message names the partition, the offset, the
    /// checkpoint and the options.
    case refuse(String)
}

/// Decides, for one partition, which checkpoint to restore, from Kafka's committed offset
/// (whose metadata names the checkpoint that committed with it) and the store's checkpoints.
///
/// Kafka is the judge of which checkpoint committed: the offset and its metadata were written
/// in the same transaction as the checkpoint's outputs. A checkpoint that is on disk but not
/// named by the committed offset belongs to an epoch whose transaction aborted (or never
/// committed), so it is never restored in place of the named one.
public enum RecoveryPlanner {
    /// The plan for `partition`.
    ///
    /// - Parameters:
    ///   - committed: the group's committed offset for the partition, read stably, or `nil`.
    ///   - candidates: the store's checkpoints that contain the partition, in any order.
    public static func plan(
        for partition: TopicPartition,
        committed: PartitionOffset?,
        candidates: [CheckpointCandidate]
    ) -> RecoveryPlan {
        // The partition's own progress orders its checkpoints, whichever instance took them
        // (sequence numbers of different instances do not compare).
        let newestFirst = candidates.sorted { $0.nextOffset != $1.nextOffset ? $0.nextOffset > $1.nextOffset : $1.id < $0.id }

        guard let committed else {
            if let proof = newestFirst.first(where: { $0.knownCommitted && $0.nextOffset == .max }) ?? ReplayGuard.lastKnownCommitted(among: candidates) {
                if let damage = proof.damage, proof.nextOffset == .max {
                    // A committed checkpoint whose manifest cannot be read: whether it holds this
                    // partition is unknown, and so whether the group lost its offsets.
                    return .refuse(
                        "\(partition) has no committed offset in Kafka, and checkpoint \(proof.id), which did commit, cannot be read (\(damage)): "
                            + "it may hold the partition, in which case the group's offsets were lost and starting fresh would duplicate committed output. "
                            + "Options: restore that manifest from a backup; `--replay-from-checkpoint <id>` from a checkpoint you choose "
                            + "(`exactly checkpoints list` shows them); or, if the partition is new (never processed), move that manifest away."
                    )
                }
                return .refuse(
                    "\(partition) has no committed offset in Kafka, but checkpoint \(proof.id) for it did commit "
                        + "(at offset \(proof.nextOffset)): the group's offsets were lost (expired, reset, or deleted with the topic). "
                        + "Starting fresh would process the partition again and duplicate committed output. Options: "
                        + "`--replay-from-checkpoint \(proof.id)` to resume from that checkpoint, or move the checkpoint "
                        + "directory away to start from scratch on purpose."
                )
            }
            // Checkpoints written but never committed (a crash before the first commit): their
            // epochs' outputs were aborted, so nothing has happened yet as far as readers know.
            return .freshStart
        }

        let named: CheckpointID
        switch OffsetMetadata.decode(committed.metadata) {
        case .checkpoint(let id):
            named = id
        case .foreign(let text):
            let shown = text.isEmpty ? "no metadata" : "metadata `\(text)`"
            return .refuse(
                "\(partition) has committed offset \(committed.offset) with \(shown), which does not name an Exactly "
                    + "checkpoint: another program committed offsets for this group. Options: use a new application "
                    + "id, reset the group's offsets, or `--replay-from-checkpoint <id>` to resume from a known checkpoint."
            )
        }

        var problem: String
        if let exact = newestFirst.first(where: { $0.id == named }) {
            if let damage = exact.damage {
                problem = "checkpoint \(named) named by the committed offset is damaged: \(damage)"
            } else if exact.nextOffset != committed.offset {
                problem = "checkpoint \(named) records offset \(exact.nextOffset) for \(partition) but Kafka committed \(committed.offset)"
            } else {
                return .restore(named, offset: committed.offset)
            }
        } else {
            problem = "checkpoint \(named) named by the committed offset is missing from the store"
        }

        // Fall back to the newest older checkpoint of the committed history that verifies and
        // lies at or before the committed offset; the records between are replayed with the
        // sink muted. The history is the one the committed metadata records (the named
        // checkpoint may be gone): a checkpoint of a history a replay left holds state the
        // replay redid (built by the code the replay was run to correct, say), and going on
        // from it would mix that state into the corrected outputs.
        let lineage = OffsetMetadata.forks(in: committed.metadata) ?? []
        let older = newestFirst.filter { $0.id != named && $0.nextOffset <= committed.offset }
        let (sameHistory, abandoned) = older.reduce(into: ([CheckpointCandidate](), [String]())) { split, candidate in
            if ReplayFork.allows(candidate.forks, at: candidate.nextOffset, under: lineage) {
                split.0.append(candidate)
            } else {
                split.1.append(candidate.id.description)
            }
        }
        if let fallback = sameHistory.first(where: { $0.damage == nil }) {
            return .restoreAndReplayMuted(fallback.id, from: fallback.nextOffset, mutedUntil: committed.offset, because: problem)
        }
        let damagedOlder = sameHistory.filter { $0.damage != nil }.map(\.id.description)
        return .refuse(
            "\(partition) cannot be restored: \(problem), and no older checkpoint of its history at or before offset \(committed.offset) "
                + (damagedOlder.isEmpty ? "exists" : "verifies (damaged: \(damagedOlder.joined(separator: ", ")))")
                + (abandoned.isEmpty ? "" : " (\(abandoned.joined(separator: ", ")) hold it, but of a history a replay left: their state is what the replay redid)")
                + ". Nothing was changed. Options: restore the checkpoint directory from a backup; or "
                + "`--replay-from-checkpoint <id>` from a checkpoint you choose (`exactly checkpoints list` shows them), "
                + "accepting that outputs after it are produced again."
        )
    }
}
