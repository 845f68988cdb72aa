import Checkpointing
import KafkaClient
import KeyedState

/// What the runtime needs of the checkpoint store. The `Checkpointing` module's store provides
/// it; the protocol keeps the processing loop independent of the file format.
public protocol CheckpointStorage: Sendable {
    /// Claims a new incarnation number for `instance`, atomically: no other process, even one
    /// with the same instance id on the same store, gets the same number. Larger than any
    /// incarnation claimed before, so checkpoint ids keep growing across restarts.
    func claimIncarnation(instance: String) throws -> UInt32

    /// Writes `partitions` (each partition's captured state and next input offset) as
    /// checkpoint `id` on the store's own thread and calls `completion`
    /// (on any thread) once the manifest is durable, or with the error that prevented it.
    /// - Parameter replay: the replay this run is (its checkpoint and sink), recorded in the manifest.
    func write(
        _ id: CheckpointID,
        parent: CheckpointID?,
        replay: ReplayLineage?,
        partitions: [PartitionCheckpoint],
        completion: @escaping @Sendable (Result<Void, any Error>) -> Void
    )

    /// Records that checkpoint `id`'s transaction committed (recovery uses it to tell lost
    /// offsets from a crash before the first commit). Called off the processing thread, while
    /// later checkpoints may be written.
    func markCommitted(_ id: CheckpointID) throws

    /// Removes a checkpoint whose transaction was aborted.
    func discard(_ id: CheckpointID) throws

    /// Every checkpoint that holds `partition`, verified, for ``RecoveryPlanner``.
    func candidates(for partition: TopicPartition) throws -> [CheckpointCandidate]

    /// The replay that wrote checkpoint `id`, as its manifest records it; `nil` when it records
    /// none, or when the manifest cannot be read.
    func replayLineage(of id: CheckpointID) -> ReplayLineage?

    /// The state of `partition` in checkpoint `id`, verified.
    func restore(_ partition: TopicPartition, from id: CheckpointID) throws -> PartitionState

    /// Keeps the newest `newest` complete checkpoints of `instance` and every one in `pinned`;
    /// deletes that instance's other checkpoints and any file no kept manifest references.
    /// Other instances' checkpoints (a shared store) are left alone. Called off the processing
    /// thread, while a later checkpoint may be written: that one must survive.
    func retain(instance: String, newest: Int, pinned: Set<CheckpointID>) throws
}
