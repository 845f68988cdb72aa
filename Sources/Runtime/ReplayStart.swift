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
    /// Restore the partition from the replay's checkpoint and read on from the checkpoint's offset.
    case replay
    /// Recover the partition from its committed offsets as usual, for `reason` (logged).
    case recoverAsUsual(reason: String)
    /// Stop the processor with `message`: the committed offsets moved since the replay was
    /// checked, so what it would write was never checked (nor confirmed, if it overlaps).
    case stop(message: String)

    /// How `partition` starts when a replay from `replay` is under way.
    /// - Parameters:
    ///   - committed: what Kafka holds committed for it now (`nil`: nothing).
    ///   - checked: what Kafka held committed when the replay was checked at start-up (`nil`:
    ///     nothing); the refusals of duplicate output and of skipped input were decided on it.
    ///   - committedDescendsFromReplay: whether the checkpoint `committed`'s metadata names was
    ///     written by a run replaying from `replay` (its manifest says so).
    public static func decide(
        _ partition: TopicPartition, replaying replay: CheckpointID,
        committed: PartitionOffset?, checked: PartitionOffset?, committedDescendsFromReplay: Bool
    ) -> ReplayStart {
        if committedDescendsFromReplay, let committed {
            return .recoverAsUsual(reason: "replayed already: its committed offset \(committed.offset) is of a checkpoint that descends from \(replay)")
        }
        guard committed?.offset == checked?.offset, committed?.metadata == checked?.metadata else {
            return .stop(message: "\(partition): its committed offset moved since the replay from checkpoint \(replay) was checked "
                + "(from \(describe(checked)) to \(describe(committed))), and not by this replay: another instance of this "
                + "application is running without --replay-from-checkpoint, or one replaying another checkpoint. The replay "
                + "would write outputs nobody checked. Nothing was produced for this partition. Stop every instance of the "
                + "application, then run the replay again (its checks read the offsets afresh).")
        }
        return .replay
    }

    private static func describe(_ offset: PartitionOffset?) -> String {
        guard let offset else { return "none" }
        switch OffsetMetadata.decode(offset.metadata) {
        case .checkpoint(let id): return "\(offset.offset), checkpoint \(id)"
        case .foreign(let text): return text.isEmpty ? "\(offset.offset)" : "\(offset.offset), metadata `\(text)`"
        }
    }
}
