import Foundation

/// What one checkpoint holds: for every partition assigned when it was taken, the next input
/// offset, the key count and the chain of state files (a full base, then deltas in order).
///
/// Stored as JSON at `<dir>/<application>/manifests/<checkpointID>.json` inside a checksummed
/// envelope (see ``ManifestFile``). A manifest is written only after every file it lists is
/// durable, so a manifest that verifies describes a complete checkpoint.
public struct CheckpointManifest: Sendable, Codable, Equatable {
    /// The manifest format this build writes.
    public static let currentFormatVersion = 1

    /// The manifest format version.
    public var formatVersion: Int
    /// The checkpoint's id, unique per application (`<instance>-<sequence>`).
    public var checkpointID: String
    /// The checkpoint written before this one by the same store, if any.
    public var parentID: String?
    /// For a replay, the checkpoint the replay started from.
    public var descendsFrom: String?
    /// For a replay, the topic it writes to (absent in manifests written before 2026-11-26):
    /// with ``descendsFrom`` it names the replay, so that a restart resumes it and a replay of
    /// the same checkpoint into another topic is a new one.
    public var replaySink: String?
    /// When the checkpoint was written, in milliseconds since 1970 (UTC).
    public var createdAtMilliseconds: Int64
    /// The application whose state this is.
    public var application: String
    /// The instance that wrote the checkpoint.
    public var instance: String
    /// One entry per partition, sorted by partition.
    public var partitions: [PartitionManifest]

    /// When the checkpoint was written.
    public var createdAt: Date { Date(timeIntervalSince1970: Double(createdAtMilliseconds) / 1000) }

    /// The entry for `partition`, if the checkpoint holds it.
    public func partition(_ partition: PartitionID) -> PartitionManifest? {
        partitions.first { $0.partitionID == partition }
    }

    /// A manifest with these fields.
    public init(
        checkpointID: String, parentID: String?, descendsFrom: String?, replaySink: String? = nil, createdAtMilliseconds: Int64,
        application: String, instance: String, partitions: [PartitionManifest]
    ) {
        formatVersion = Self.currentFormatVersion
        self.checkpointID = checkpointID
        self.parentID = parentID
        self.descendsFrom = descendsFrom
        self.replaySink = replaySink
        self.createdAtMilliseconds = createdAtMilliseconds
        self.application = application
        self.instance = instance
        self.partitions = partitions
    }
}

/// One partition's part of a checkpoint.
public struct PartitionManifest: Sendable, Codable, Equatable {
    /// The partition's topic.
    public var topic: String
    /// The partition's number.
    public var partition: Int32
    /// The offset of the first input record not reflected in this state: where to resume.
    public var nextOffset: Int64
    /// The number of live keys in the state.
    public var keyCount: Int
    /// The capture the state is (see `KeyedState.CaptureID`), so that a restored state can go
    /// on with deltas on this chain.
    public var captureID: UInt64
    /// The state files, a full base first, then deltas to apply in order.
    public var files: [StateFileReference]
    /// The replays the state's history went through, oldest first (see ``ReplayFork``); absent
    /// when none (and in manifests written before 2026-11-26).
    public var forks: [ReplayFork]?

    /// The partition this entry is for.
    public var partitionID: PartitionID { PartitionID(topic: topic, partition: partition) }

    /// ``forks``, empty when absent.
    public var history: [ReplayFork] { forks ?? [] }

    /// An entry with these fields.
    public init(
        partition: PartitionID, nextOffset: Int64, keyCount: Int, captureID: UInt64, files: [StateFileReference], forks: [ReplayFork] = []
    ) {
        topic = partition.topic
        self.partition = partition.partition
        self.nextOffset = nextOffset
        self.keyCount = keyCount
        self.captureID = captureID
        self.files = files
        // Absent rather than empty: a history without replays writes the manifest it always did.
        self.forks = forks.isEmpty ? nil : forks
    }
}

/// One state file as a manifest records it.
public struct StateFileReference: Sendable, Codable, Equatable, Hashable {
    /// The file's name inside the partition's state directory.
    public var name: String
    /// A full base or a delta.
    public var kind: StateFileKind
    /// The file's size in bytes.
    public var size: Int64
    /// The CRC-32C of all of the file's bytes but the last four, which hold this same value.
    public var crc32c: UInt32
    /// The number of records (puts and deletions) in the file.
    public var recordCount: Int

    /// A reference with these fields.
    public init(name: String, kind: StateFileKind, size: Int64, crc32c: UInt32, recordCount: Int) {
        self.name = name
        self.kind = kind
        self.size = size
        self.crc32c = crc32c
        self.recordCount = recordCount
    }
}
