
/// The keyed state of one partition at one instant: immutable, cheap to keep, safe to send to
/// the thread that writes it.
public struct PartitionSnapshot: Sendable {
    /// Every live entry at the moment of capture.
    public let entries: SnapshotEntries
    /// The entries put (`.some(value)`) or deleted (`nil`) since the capture before this one.
    public let changes: ChangeLog
    /// This capture's identity, unique in the process with overwhelming probability.
    public let captureID: CaptureID
    /// The capture that ``changes`` are relative to: `changes` applied to that capture's entries
    /// give ``entries``.
    public let changesSince: CaptureID

    /// A snapshot of these entries with these changes since some unknown earlier snapshot.
    ///
    /// Having no known predecessor, the snapshot is written in full by a checkpoint store.
    public init(entries: StateMap, changes: [StateKey: StateValue?]) {
        self.init(entries: entries, changes: ChangeLog(changes), captureID: CaptureID.unique(), changesSince: CaptureID.unique())
    }

    /// A snapshot `captureID` of these entries, whose `changes` lead from capture `changesSince`.
    public init(
        entries: StateMap, changes: ChangeLog,
        captureID: CaptureID, changesSince: CaptureID
    ) {
        self.init(
            entries: SnapshotEntries(merge: EntriesMerge(base: entries, layers: []), count: entries.count),
            changes: changes, captureID: captureID, changesSince: changesSince)
    }

    init(entries: SnapshotEntries, changes: ChangeLog, captureID: CaptureID, changesSince: CaptureID) {
        self.entries = entries
        self.changes = changes
        self.captureID = captureID
        self.changesSince = changesSince
    }

    /// The number of live keys.
    public var count: Int { entries.count }
}
