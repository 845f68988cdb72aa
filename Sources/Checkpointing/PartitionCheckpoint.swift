import KeyedState

/// One partition's part of a checkpoint to write: its captured state and where input resumes.
public struct PartitionCheckpoint: Sendable {
    /// The partition.
    public var partition: PartitionID
    /// The state captured at the barrier (`PartitionState.captureSnapshot()`).
    public var snapshot: PartitionSnapshot
    /// The offset of the first input record not reflected in `snapshot`.
    public var nextOffset: Int64
    /// The replays the state's history went through, oldest first (``ReplayFork``).
    public var forks: [ReplayFork]

    /// The part of a checkpoint for `partition`.
    public init(partition: PartitionID, snapshot: PartitionSnapshot, nextOffset: Int64, forks: [ReplayFork] = []) {
        self.partition = partition
        self.snapshot = snapshot
        self.nextOffset = nextOffset
        self.forks = forks
    }
}
