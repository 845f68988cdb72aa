import KeyedState

/// What one lane captured at a checkpoint barrier (``ProcessingLane/barrier(capturing:report:)``).
struct LaneCapture: Sendable {
    /// One partition's state and read position at the barrier.
    struct Partition: Sendable {
        let runtime: PartitionRuntime
        let snapshot: PartitionSnapshot
        /// The offset of the first record after the barrier: where the checkpoint resumes.
        let nextOffset: Int64
    }

    /// The lane's partitions that had read anything by the barrier.
    let partitions: [Partition]
    /// How long the lane stood still for the barrier: the checkpoint's stall on this lane.
    let duration: Duration
    /// The CPU time the lane spent on the barrier: ``duration`` less any time the lane's thread
    /// waited for a CPU meanwhile (on a saturated machine, the scheduler's time slices).
    let onCPU: Duration
}
