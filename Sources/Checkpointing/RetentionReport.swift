/// What one retention pass kept and removed.
public struct RetentionReport: Sendable, Equatable {
    /// The checkpoints kept: the newest N and the pinned ones.
    public var keptCheckpoints: [String]
    /// The checkpoints whose manifests were removed.
    public var removedCheckpoints: [String]
    /// The state files removed because no kept manifest references them (paths).
    public var removedFiles: [String]
    /// Temporary files of interrupted writes that were removed (paths).
    public var removedTemporaryFiles: [String]
}
