import KeyedState

/// A partition's state as read back from a verified checkpoint.
public struct RestoredPartition: Sendable {
    /// The partition.
    public var partition: PartitionID
    /// The checkpoint it was restored from.
    public var checkpointID: String
    /// Where to resume reading input.
    public var nextOffset: Int64
    /// The state. Its `lastCaptureID` is the checkpoint's capture, so the store that restored
    /// it writes the next snapshot as a delta on the same chain.
    public var state: PartitionState
}
