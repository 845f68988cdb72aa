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

    /// Empty state.
    public init() {
        entries = [:]
        changesSinceCapture = [:]
    }

    /// State holding `entries`, as restored from a checkpoint: nothing counts as changed.
    public init(restoring entries: TreeDictionary<StateKey, [UInt8]>) {
        self.entries = entries
        changesSinceCapture = [:]
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
        return PartitionSnapshot(entries: entries, changes: changes)
    }

    /// Throws away every write since the last capture, returning to `snapshot`'s entries.
    ///
    /// Used when a checkpoint is aborted and the state must go back to the last complete one.
    public mutating func restore(_ snapshot: PartitionSnapshot) {
        entries = snapshot.entries
        changesSinceCapture = [:]
    }
}

/// The keyed state of one partition at one instant: immutable, cheap to keep, safe to send to
/// the thread that writes it.
public struct PartitionSnapshot: Sendable {
    /// Every live entry at the moment of capture.
    public let entries: TreeDictionary<StateKey, [UInt8]>
    /// The entries put (`.some(value)`) or deleted (`nil`) since the capture before this one.
    public let changes: [StateKey: [UInt8]?]

    /// A snapshot of these entries with these changes since the previous snapshot.
    public init(entries: TreeDictionary<StateKey, [UInt8]>, changes: [StateKey: [UInt8]?]) {
        self.entries = entries
        self.changes = changes
    }

    /// The number of live keys.
    public var count: Int { entries.count }
}
