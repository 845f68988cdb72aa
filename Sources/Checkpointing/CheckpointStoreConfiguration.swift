/// How a ``CheckpointStore`` lays out and bounds its checkpoints.
public struct CheckpointStoreConfiguration: Sendable {
    /// The directory under which `<application>/` is kept; created with owner-only permissions.
    public var directory: String
    /// The application whose checkpoints these are: a subdirectory of ``directory``.
    public var application: String
    /// The instance writing, recorded in every manifest it writes.
    public var instance: String
    /// After this many deltas on one base, the next write of the partition is a full base.
    public var maxDeltasPerChain: Int
    /// Once a chain's deltas add up to this many bytes, the next write is a full base.
    public var maxDeltaBytesPerChain: Int64
    /// Unreferenced state files and temporary files younger than this many seconds are left
    /// alone by retention: another instance sharing the directory may still be writing them.
    public var orphanGracePeriod: Double

    /// The default ``orphanGracePeriod``, in seconds: a checkpoint must be written (or given
    /// up) well within it, or another instance's retention may take its files for orphans.
    public static let defaultOrphanGracePeriod: Double = 300

    /// A configuration with the given place and bounds (defaults: 10 deltas, 256 MiB, 5 minutes).
    public init(
        directory: String, application: String, instance: String, maxDeltasPerChain: Int = 10,
        maxDeltaBytesPerChain: Int64 = 256 << 20, orphanGracePeriod: Double = defaultOrphanGracePeriod
    ) {
        self.directory = directory
        self.application = application
        self.instance = instance
        self.maxDeltasPerChain = maxDeltasPerChain
        self.maxDeltaBytesPerChain = maxDeltaBytesPerChain
        self.orphanGracePeriod = orphanGracePeriod
    }
}
