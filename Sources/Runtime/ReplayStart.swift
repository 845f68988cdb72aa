import KafkaClient

/// How a partition starts when a processor running `--replay-from-checkpoint` is assigned it:
/// replayed from the checkpoint, recovered as a run without a replay recovers it, or not at all
/// (the processor stops).
///
/// Decided from what Kafka committed for the partition at this assignment, not from what this
/// process did before: a replay then happens once per partition whichever process does it, and
/// is done again only while nothing of it committed. Remembering "replayed" in the process
/// instead replayed a partition again in a second instance started with the same arguments, or
/// after a restart with them (duplicates), and never replayed a partition lost before the
/// replay's first commit (lost outputs).
public enum ReplayStart: Sendable, Equatable {
    /// Restore the partition from the replay's checkpoint and read on from `offset`, the
    /// checkpoint's.
    case replay(from: Int64)
    /// Recover the partition from its committed offsets as usual, for `reason` (logged).
    case recoverAsUsual(reason: String)
    /// Stop the processor with `message`: the replay cannot go on for the partition.
    case stop(message: String)

    /// How `partition` starts while `replay` is under way.
    /// - Parameters:
    ///   - inCheckpoint: whether the replay's checkpoint holds the partition (its manifest, read
    ///     at start-up, names it).
    ///   - checkpointOffset: the partition's offset in the replay's checkpoint as the store reads
    ///     it now, verified; `nil` when it cannot (deleted since, or damaged).
    ///   - committed: what Kafka holds committed for it now (`nil`: nothing).
    ///   - checked: what Kafka held committed when the replay was checked at start-up (`nil`:
    ///     nothing); the refusals of duplicate output and of skipped input were decided on it.
    ///   - committedByThisReplay: whether the checkpoint `committed`'s metadata names was
    ///     written by this replay (its manifest's ``ReplayLineage`` is `replay`); `nil` when that
    ///     cannot be told: its manifest cannot be read, and the metadata's forks say its history
    ///     comes from this replay (written by the replay, or by a run that went on from it).
    ///   - historyWentThroughIt: whether the history `committed` records went through this replay
    ///     (its offset metadata lists the replay's ``ReplayFork``).
    ///   - resumedAtStart: whether the start-up checks found so (``ProcessorSettings/replayResumed``).
    public static func decide(
        _ partition: TopicPartition, replaying replay: ReplayLineage, inCheckpoint: Bool, checkpointOffset: Int64?,
        committed: PartitionOffset?, checked: PartitionOffset?, committedByThisReplay: Bool?, historyWentThroughIt: Bool = false,
        resumedAtStart: Bool = false
    ) -> ReplayStart {
        guard let committedByThisReplay else {
            // Replaying it again might write outputs the replay committed a second time.
            return .stop(message: "\(partition): the checkpoint its committed offset names (\(describe(committed))) cannot be read, and the "
                + "offset's metadata says its history comes from \(replay): whether the replay committed it (a restart resumes it) or a "
                + "run that went on from it did cannot be told, and replaying it again could write its outputs twice. Nothing was "
                + "produced for this partition. Start without --replay-from-checkpoint: recovery then restores an older checkpoint of "
                + "that history and replays what was committed since with the sink muted.")
        }
        let unmoved = committed?.offset == checked?.offset && committed?.metadata == checked?.metadata
        if let committed, committedByThisReplay || (resumedAtStart && unmoved) {
            return .recoverAsUsual(reason: "\(replay) committed it already (offset \(committed.offset)): it resumes from there")
        }
        if historyWentThroughIt {
            // Known from Kafka's metadata, whatever the store still holds of the replay.
            return .stop(message: "\(partition): \(replay) was committed for it, and the application went on from it since (its committed "
                + "offset is \(describe(committed))): the replay is over for it, and replaying it again would write its outputs a second time. "
                + "Nothing was produced for this partition. Start without --replay-from-checkpoint to go on as usual; to replay again, point "
                + "`sink.topic` at a new topic.")
        }
        guard inCheckpoint || checkpointOffset != nil else {
            return .recoverAsUsual(reason: "not in checkpoint \(replay.checkpoint)")
        }
        guard unmoved else {
            return .stop(message: "\(partition): its committed offset moved since \(replay) was checked (from \(describe(checked)) to "
                + "\(describe(committed))), and not by this replay: another instance of this application runs, or ran since, "
                + "without it (or with another). Going on would write outputs nobody checked. Nothing was produced for this "
                + "partition. If the replay is over and the application runs as usual again, start this instance without "
                + "--replay-from-checkpoint; otherwise stop every instance and start the replay again (its checks read the "
                + "offsets afresh).")
        }
        guard let checkpointOffset else {
            return .stop(message: "\(partition): checkpoint \(replay.checkpoint) holds it but can no longer be read (deleted by the "
                + "retention of an instance running without the replay, or damaged), so it cannot be replayed. Nothing was "
                + "produced for this partition; what Kafka committed stays as it was. Replay from another checkpoint "
                + "(`exactly checkpoints list` shows them), or start without --replay-from-checkpoint.")
        }
        return .replay(from: checkpointOffset)
    }

    private static func describe(_ offset: PartitionOffset?) -> String {
        guard let offset else { return "none" }
        switch OffsetMetadata.decode(offset.metadata) {
        case .checkpoint(let id): return "\(offset.offset), checkpoint \(id)"
        case .foreign(let text): return text.isEmpty ? "\(offset.offset)" : "\(offset.offset), metadata `\(text)`"
        }
    }
}
