/// The watermark over several input partitions for ``Watermarks/Mode/aligned(idleTimeout:)``:
/// the minimum of the active partitions' watermarks, where a partition that has had no record for
/// the idle timeout stops holding the minimum back. A value type the runtime owns (one per
/// pipeline instance): events in (`recordProcessed`, `partitionRevoked`), a watermark out.
///
/// - Important: Processing-time behaviour. Idleness is measured on the `now` values the runtime
///   passes (its clock), and the minimum depends on the order in which partitions are fed, so
///   the result is not reproducible by replay. Use ``Watermarks/Mode/perPartition`` where
///   replays must emit identical records.
public struct WatermarkAligner: Sendable {
    /// An input partition.
    public struct Partition: Hashable, Sendable {
        /// The topic.
        public var topic: String
        /// The partition number.
        public var partition: Int32

        /// The partition `partition` of `topic`.
        public init(topic: String, partition: Int32) {
            self.topic = topic
            self.partition = partition
        }
    }

    private struct Progress: Sendable {
        var watermark: Int64?
        var lastRecordAt: Int64
    }

    private let idleTimeoutMillis: Int64
    private var partitions: [Partition: Progress] = [:]
    private var emitted: Int64?

    /// An aligner with the idle timeout in milliseconds of processing time.
    public init(idleTimeout: Duration) {
        idleTimeoutMillis = idleTimeout.milliseconds
    }

    /// Records that `partition` processed a record at processing time `now` (ms) and that its
    /// local watermark (``PartitionProcessor/localWatermark``) is now `watermark`.
    public mutating func recordProcessed(by partition: Partition, watermark: Int64?, now: Int64) {
        partitions[partition] = Progress(watermark: watermark, lastRecordAt: now)
    }

    /// Registers an assigned partition that has not yet seen a record; it holds the watermark
    /// back until it is idle.
    public mutating func partitionAssigned(_ partition: Partition, now: Int64) {
        if partitions[partition] == nil {
            partitions[partition] = Progress(watermark: nil, lastRecordAt: now)
        }
    }

    /// Forgets a partition that is no longer assigned.
    public mutating func partitionRevoked(_ partition: Partition) {
        partitions[partition] = nil
    }

    /// The aligned watermark at processing time `now`: the minimum over active partitions, never
    /// lower than a watermark returned before; `nil` while no partition has a watermark.
    ///
    /// When every partition is idle, the watermark does not move (the largest watermark is not
    /// safe to assume: an idle partition may wake with records behind it).
    public mutating func watermark(now: Int64) -> Int64? {
        var minimum: Int64?
        var anyActive = false
        for progress in partitions.values where now - progress.lastRecordAt < idleTimeoutMillis {
            anyActive = true
            guard let watermark = progress.watermark else {
                // An active partition with no watermark yet holds everything back.
                return emitted
            }
            minimum = Swift.min(minimum ?? watermark, watermark)
        }
        guard anyActive, let minimum else { return emitted }
        emitted = Swift.max(emitted ?? minimum, minimum)
        return emitted
    }
}
