/// One checkpoint found in a store's manifests directory.
public struct CheckpointListing: Sendable {
    /// The checkpoint's id (the manifest's file name without `.json`).
    public var checkpointID: String
    /// The manifest, when it reads and verifies.
    public var manifest: CheckpointManifest?
    /// Why the manifest could not be read, when it could not.
    public var problem: CheckpointError?
    /// When it was written: the manifest's time, or the file's modification time if unreadable.
    public var createdAtMilliseconds: Int64
}
