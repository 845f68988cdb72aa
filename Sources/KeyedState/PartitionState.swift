import HashTreeCollections

/// The keyed state of one input partition: a map from ``StateKey`` to bytes.
///
/// State is scoped to one input partition, Kafka's unit of assignment, so that a partition's
/// state can move to whichever instance is assigned the partition.
///
/// The entries live in a persistent hash trie (`TreeDictionary`). Copying the state is O(1), and
/// a write after a copy copies only the path to the written entry, not the whole map. That is
/// what makes ``captureSnapshot()`` cheap *and* keeps the writes that follow it cheap: a plain
/// `Dictionary` would also copy in O(1), but the first write after the copy would duplicate
/// every entry on the processing thread.
///
/// Every write is also recorded in a change log (the entries put or deleted since the last
/// capture), which is what an incremental checkpoint writes.
///
/// - Important: `PartitionState` is a value type and is not shared between threads; a snapshot
///   taken from it is an immutable value that may be handed to any thread.
public struct PartitionState: Sendable {
    /// All live entries.
    public private(set) var entries: TreeDictionary<StateKey, [UInt8]>
    /// Entries written since the last capture: the new value, or `nil` for a deletion.
    public private(set) var changesSinceCapture: [StateKey: [UInt8]?]
    /// The capture (or restore point) that ``changesSinceCapture`` is relative to.
    ///
    /// A checkpoint store may write the next snapshot as a delta only when it holds this exact
    /// capture durably; any other value (a fresh state, a restore from elsewhere, a copy that
    /// diverged) makes it write a full base instead.
    public private(set) var lastCaptureID: CaptureID

    /// Empty state.
    public init() {
        entries = [:]
        changesSinceCapture = [:]
        lastCaptureID = CaptureID.unique()
    }

    /// State holding `entries`, as restored from a checkpoint: nothing counts as changed.
    ///
    /// The state gets a fresh ``lastCaptureID``, so the next snapshot of it is written in full.
    public init(restoring entries: TreeDictionary<StateKey, [UInt8]>) {
        self.entries = entries
        changesSinceCapture = [:]
        lastCaptureID = CaptureID.unique()
    }

    /// State holding `entries`, which are exactly the entries of the capture `captureID`.
    ///
    /// A checkpoint store uses this when it restores a partition, so that the next snapshot can
    /// be written as a delta on the chain it was restored from.
    public init(restoring entries: TreeDictionary<StateKey, [UInt8]>, asOf captureID: CaptureID) {
        self.entries = entries
        changesSinceCapture = [:]
        lastCaptureID = captureID
    }

    /// The number of live keys.
    public var count: Int { entries.count }

    /// Whether the state holds no keys.
    public var isEmpty: Bool { entries.isEmpty }

    /// The value stored for `key`, or `nil`.
    public subscript(key: StateKey) -> [UInt8]? {
        entries[key]
    }

    /// Stores `value` for `key`, replacing any earlier value.
    public mutating func put(_ value: [UInt8], for key: StateKey) {
        entries[key] = value
        changesSinceCapture[key] = .some(value)
    }

    /// Removes `key`. Removing a key that is not there changes nothing and records nothing.
    public mutating func delete(_ key: StateKey) {
        guard entries.removeValue(forKey: key) != nil else { return }
        changesSinceCapture[key] = .some(nil)
    }

    /// Calls `body` for every entry, in no particular order.
    public func forEach(_ body: (StateKey, [UInt8]) throws -> Void) rethrows {
        for (key, value) in entries {
            try body(key, value)
        }
    }

    /// Calls `body` for every entry whose key starts with `prefix`, in no particular order.
    ///
    /// This scans all entries; operators that need ordered access (timers, windows) keep an
    /// in-memory index that they rebuild from state once after a restore.
    public func forEach(withPrefix prefix: [UInt8], _ body: (StateKey, [UInt8]) throws -> Void) rethrows {
        for (key, value) in entries where key.hasPrefix(prefix) {
            try body(key, value)
        }
    }

    /// Captures the state as an immutable snapshot and starts a new change log.
    ///
    /// Costs O(1) whatever the number of keys: the entries are shared with the snapshot through
    /// the trie's structural sharing, and the change log is moved, not copied.
    public mutating func captureSnapshot() -> PartitionSnapshot {
        let changes = changesSinceCapture
        changesSinceCapture = [:]
        let snapshot = PartitionSnapshot(
            entries: entries, changes: changes, captureID: CaptureID.unique(), changesSince: lastCaptureID)
        lastCaptureID = snapshot.captureID
        return snapshot
    }

    /// Throws away every write since the last capture, returning to `snapshot`'s entries.
    ///
    /// Used when a checkpoint is aborted and the state must go back to the last complete one.
    /// The next snapshot's change log is relative to `snapshot`, so a store that still holds
    /// `snapshot`'s checkpoint can write it as a delta.
    public mutating func restore(_ snapshot: PartitionSnapshot) {
        entries = snapshot.entries
        changesSinceCapture = [:]
        lastCaptureID = snapshot.captureID
    }
}

/// The keyed state of one partition at one instant: immutable, cheap to keep, safe to send to
/// the thread that writes it.
public struct PartitionSnapshot: Sendable {
    /// Every live entry at the moment of capture.
    public let entries: TreeDictionary<StateKey, [UInt8]>
    /// The entries put (`.some(value)`) or deleted (`nil`) since the capture before this one.
    public let changes: [StateKey: [UInt8]?]

    /// This capture's identity, unique in the process with overwhelming probability.
    public let captureID: CaptureID
    /// The capture that ``changes`` are relative to: `changes` applied to that capture's entries
    /// give ``entries``.
    public let changesSince: CaptureID

    /// A snapshot of these entries with these changes since some unknown earlier snapshot.
    ///
    /// Having no known predecessor, the snapshot is written in full by a checkpoint store.
    public init(entries: TreeDictionary<StateKey, [UInt8]>, changes: [StateKey: [UInt8]?]) {
        self.init(entries: entries, changes: changes, captureID: CaptureID.unique(), changesSince: CaptureID.unique())
    }

    /// A snapshot `captureID` of these entries, whose `changes` lead from capture `changesSince`.
    public init(
        entries: TreeDictionary<StateKey, [UInt8]>, changes: [StateKey: [UInt8]?],
        captureID: CaptureID, changesSince: CaptureID
    ) {
        self.entries = entries
        self.changes = changes
        self.captureID = captureID
        self.changesSince = changesSince
    }

    /// The number of live keys.
    public var count: Int { entries.count }
}
