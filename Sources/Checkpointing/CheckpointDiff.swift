/// How one checkpoint's partitions differ from another's: what `exactly checkpoints diff` shows.
public struct CheckpointDiff: Sendable, Equatable {
    /// One partition held by both checkpoints.
    public struct PartitionChange: Sendable, Equatable {
        /// The partition.
        public var partition: PartitionID
        /// Next input offset in the older and the newer checkpoint.
        public var nextOffset: (from: Int64, to: Int64)
        /// Key count in the older and the newer checkpoint.
        public var keyCount: (from: Int, to: Int)
        /// State files the two chains share.
        public var sharedFiles: [String]
        /// State files only the newer chain has.
        public var addedFiles: [String]

        public static func == (lhs: PartitionChange, rhs: PartitionChange) -> Bool {
            lhs.partition == rhs.partition && lhs.nextOffset == rhs.nextOffset && lhs.keyCount == rhs.keyCount
                && lhs.sharedFiles == rhs.sharedFiles && lhs.addedFiles == rhs.addedFiles
        }
    }

    /// The checkpoint compared from.
    public var from: String
    /// The checkpoint compared to.
    public var to: String
    /// Partitions only `from` holds (revoked since).
    public var onlyInFrom: [PartitionID]
    /// Partitions only `to` holds (assigned since).
    public var onlyInTo: [PartitionID]
    /// Partitions both hold, sorted.
    public var changes: [PartitionChange]

    /// The difference between manifests `from` and `to`.
    public init(from: CheckpointManifest, to: CheckpointManifest) {
        self.from = from.checkpointID
        self.to = to.checkpointID
        let fromParts = Dictionary(uniqueKeysWithValues: from.partitions.map { ($0.partitionID, $0) })
        let toParts = Dictionary(uniqueKeysWithValues: to.partitions.map { ($0.partitionID, $0) })
        onlyInFrom = fromParts.keys.filter { toParts[$0] == nil }.sorted()
        onlyInTo = toParts.keys.filter { fromParts[$0] == nil }.sorted()
        changes = toParts.keys.sorted().compactMap { partition in
            guard let old = fromParts[partition], let new = toParts[partition] else { return nil }
            let oldNames = Set(old.files.map(\.name))
            return PartitionChange(
                partition: partition, nextOffset: (old.nextOffset, new.nextOffset), keyCount: (old.keyCount, new.keyCount),
                sharedFiles: new.files.map(\.name).filter { oldNames.contains($0) },
                addedFiles: new.files.map(\.name).filter { !oldNames.contains($0) })
        }
    }
}
