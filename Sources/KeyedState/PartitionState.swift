/// The keyed state of one input partition: a map from ``StateKey`` to ``StateValue``.
///
/// State is scoped to one input partition, Kafka's unit of assignment, so that a partition's
/// state can move to whichever instance is assigned the partition.
///
/// The entries are a persistent map (``StateMap``) as of some capture, plus the change logs
/// written since: the live one (``changesSinceCapture``, a hash map that every write goes to)
/// and captured ones not yet folded into the map. Copying is O(1), and no write on the thread
/// that processes records ever copies any of the map: a write only updates the live change log, and
/// ``captureSnapshot()`` only moves that log into a frozen layer. Folding layers into the map
/// (one copy of each bucket they change) is done by whoever writes the snapshot, on its own
/// thread; the state adopts the folded map at its next capture. A plain `Dictionary` as the
/// whole state would copy every entry at the first write after a snapshot; a persistent map
/// written in place would copy buckets on the thread that processes records.
///
/// Should nobody fold (snapshots captured and dropped), the state folds its oldest layers itself
/// at a capture once more than ``maxPendingLayers`` have piled up, so reads stay fast.
///
/// - Important: `PartitionState` is a value type and is not shared between threads; a snapshot
///   taken from it is an immutable value that may be handed to any thread.
public struct PartitionState: Sendable {
    /// Entries as of the last fold; shared with snapshots, never written while shared.
    private var base: StateMap
    /// Captured change logs not yet in `base`, oldest first.
    private var layers: [ChangeLayer]
    /// The folds handed out with snapshots since the last adoption, oldest first: the state
    /// adopts the newest one a writer has finished (any of them, not only the newest snapshot's:
    /// a fold that finishes just after the next capture would otherwise be wasted, and at short
    /// intervals the layers would pile up until a capture folds them itself).
    private var pendingMerges: [EntriesMerge]
    /// Entries written since the last capture: the new value, or `nil` for a deletion.
    public private(set) var changesSinceCapture: ChangeLog
    /// The capture (or restore point) that ``changesSinceCapture`` is relative to.
    ///
    /// A checkpoint store may write the next snapshot as a delta only when it holds this exact
    /// capture durably; any other value (a fresh state, a restore from elsewhere, a copy that
    /// diverged) makes it write a full base instead.
    public private(set) var lastCaptureID: CaptureID
    /// The number of live keys.
    public private(set) var count: Int
    /// How many entries the last epoch's change log held: the next one is sized for as many at
    /// its first write, so it does not rehash its way up (on the processing lane, not in capture).
    private var expectedChanges = 0

    /// How many captured change logs may wait to be folded before a capture folds them itself.
    public static let maxPendingLayers = 8

    /// Empty state.
    public init() {
        self.init(restoring: [:], asOf: CaptureID.unique())
    }

    /// State holding `entries`, as restored from a checkpoint: nothing counts as changed.
    ///
    /// The state gets a fresh ``lastCaptureID``, so the next snapshot of it is written in full.
    public init(restoring entries: StateMap) {
        self.init(restoring: entries, asOf: CaptureID.unique())
    }

    /// State holding a snapshot's entries: nothing counts as changed, and the next snapshot of
    /// it is written in full.
    public init(restoring entries: SnapshotEntries) {
        self.init(restoring: entries.map, asOf: CaptureID.unique())
    }

    /// State holding `entries`, which are exactly the entries of the capture `captureID`.
    ///
    /// A checkpoint store uses this when it restores a partition, so that the next snapshot can
    /// be written as a delta on the chain it was restored from.
    public init(restoring entries: StateMap, asOf captureID: CaptureID) {
        base = entries
        layers = []
        pendingMerges = []
        changesSinceCapture = ChangeLog()
        lastCaptureID = captureID
        count = entries.count
    }

    /// How many captured change logs wait to be folded into the map (for tests and diagnostics).
    package var unfoldedLayerCount: Int { layers.count }

    /// Whether the state holds no keys.
    public var isEmpty: Bool { count == 0 }

    /// Every live entry as one map. Cheap right after a fold; otherwise it folds the pending
    /// change logs into a copy (one bucket copy per changed bucket), so do not call it per record.
    public var entries: StateMap {
        var pending = layers
        if !changesSinceCapture.isEmpty { pending.append(ChangeLayer(changesSinceCapture)) }
        return EntriesMerge(base: base, layers: pending).merged()
    }

    /// The value stored for `key`, or `nil`.
    public func value(for key: StateKey) -> StateValue? {
        let hash = key.hashValue
        if let slot = changesSinceCapture.slot(of: key, hash: hash) { return changesSinceCapture.change(at: slot) }
        return storedBeforeCapture(key, hash: hash)
    }

    /// The bytes stored for `key`, or `nil` (a new array: ``value(for:)`` does not allocate).
    public subscript(key: StateKey) -> [UInt8]? {
        value(for: key)?.bytes
    }

    /// Stores `value` for `key`, replacing any earlier value.
    public mutating func put(_ value: StateValue, for key: StateKey) {
        reserveChangeLogIfNew()
        let hash = key.hashValue
        switch changesSinceCapture.record(.some(value), for: key, hash: hash) {
        case .some(.some):
            break
        case .some(.none):
            count += 1
        case .none:
            if storedBeforeCapture(key, hash: hash) == nil { count += 1 }
        }
    }

    /// Stores `bytes` for `key`, replacing any earlier value.
    public mutating func put(_ bytes: [UInt8], for key: StateKey) {
        put(StateValue(bytes), for: key)
    }

    /// Replaces the value of `key` (`nil` when absent) by `transform(value)` and returns the
    /// new value: one lookup where reading and then ``put(_:for:)-(StateValue,_)`` take two
    /// (and, for a key not yet written since the capture, two more in the captured logs and the
    /// map).
    @discardableResult
    public mutating func updateValue(_ key: StateKey, _ transform: (StateValue?) throws -> StateValue) rethrows -> StateValue {
        let hash = key.hashValue
        if let slot = changesSinceCapture.slot(of: key, hash: hash) {
            let current = changesSinceCapture.change(at: slot)
            let value = try transform(current)
            if current == nil { count += 1 }  // it had been deleted in this epoch
            changesSinceCapture.replaceChange(at: slot, with: .some(value))
            return value
        }
        let stored = storedBeforeCapture(key, hash: hash)
        let value = try transform(stored)
        if stored == nil { count += 1 }
        reserveChangeLogIfNew()
        changesSinceCapture.recordNew(.some(value), for: key, hash: hash)
        return value
    }

    /// ``updateValue(_:_:)`` on the value's bytes (each read and write converts them: operators
    /// on a hot path use `updateValue`).
    @discardableResult
    public mutating func update(_ key: StateKey, _ transform: ([UInt8]?) throws -> [UInt8]) rethrows -> [UInt8] {
        try updateValue(key) { current in StateValue(try transform(current?.bytes)) }.bytes
    }

    /// Removes `key`. Removing a key that is not there changes nothing and records nothing.
    public mutating func delete(_ key: StateKey) {
        guard value(for: key) != nil else { return }
        reserveChangeLogIfNew()
        changesSinceCapture.record(nil, for: key)
        count -= 1
    }

    /// Calls `body` for every entry, in no particular order.
    public func forEach(_ body: (StateKey, [UInt8]) throws -> Void) rethrows {
        try forEachEntry(where: { _ in true }) { key, value in try body(key, value.bytes) }
    }

    /// Calls `body` for every entry whose key starts with `prefix`, in no particular order.
    ///
    /// This scans all entries; operators that need ordered access (timers, windows) keep an
    /// in-memory index that they rebuild from state once after a restore.
    public func forEach(withPrefix prefix: [UInt8], _ body: (StateKey, [UInt8]) throws -> Void) rethrows {
        try forEachEntry(where: { $0.hasPrefix(prefix) }) { key, value in try body(key, value.bytes) }
    }

    /// Captures the state as an immutable snapshot and starts a new change log.
    ///
    /// Costs O(1) whatever the number of keys: the map is shared with the snapshot, the change
    /// log is moved into a frozen layer, not copied, and a fold a writer finished is adopted by
    /// reference.
    public mutating func captureSnapshot() -> PartitionSnapshot {
        adoptFinishedMerge()
        let changes = changesSinceCapture
        // Not presized here: allocating a large table took 15-20 ms now and then (the allocator
        // mapping fresh memory while other threads fold and free), all of it in the checkpoint
        // stall. The first write of the epoch sizes it instead (`reserveChangeLogIfNew`).
        changesSinceCapture = ChangeLog()
        expectedChanges = changes.count
        if !changes.isEmpty { layers.append(ChangeLayer(changes)) }
        if layers.count > Self.maxPendingLayers {
            // Nobody folds these snapshots: fold here rather than let reads slow down. What the
            // fold replaces is freed elsewhere, as for an adopted fold.
            let folded = EntriesMerge(base: base, layers: layers).merged()
            BackgroundRelease.drop((base, layers, pendingMerges))
            base = folded
            layers = []
            pendingMerges = []
        }
        let merge = EntriesMerge(base: base, layers: layers, predecessor: pendingMerges.last)
        if !layers.isEmpty { pendingMerges.append(merge) }
        let snapshot = PartitionSnapshot(
            entries: SnapshotEntries(merge: merge, count: count), changes: changes,
            captureID: CaptureID.unique(), changesSince: lastCaptureID)
        lastCaptureID = snapshot.captureID
        return snapshot
    }

    /// Throws away every write since the last capture, returning to `snapshot`'s entries.
    ///
    /// Used when a checkpoint is aborted and the state must go back to the last complete one.
    /// The next snapshot's change log is relative to `snapshot`, so a store that still holds
    /// `snapshot`'s checkpoint can write it as a delta.
    public mutating func restore(_ snapshot: PartitionSnapshot) {
        let merge = snapshot.entries.merge
        base = merge.base
        layers = merge.layers
        pendingMerges = layers.isEmpty ? [] : [merge]
        adoptFinishedMerge()
        changesSinceCapture = ChangeLog()
        lastCaptureID = snapshot.captureID
        count = snapshot.count
    }

    /// Sizes an empty change log for the last epoch's number of changes.
    private mutating func reserveChangeLogIfNew() {
        if expectedChanges > 0, changesSinceCapture.isEmpty {
            changesSinceCapture.reserveCapacity(expectedChanges)
        }
    }

    /// The value of `key` in the layers and the map, ignoring the live change log.
    private func storedBeforeCapture(_ key: StateKey, hash: Int) -> StateValue? {
        for layer in layers.reversed() {
            if let slot = layer.changes.slot(of: key, hash: hash) { return layer.changes.change(at: slot) }
        }
        return base.value(for: key, hash: hash)
    }

    /// Replaces `base` and the layers covered by the newest finished fold by that fold.
    private mutating func adoptFinishedMerge() {
        for index in pendingMerges.indices.reversed() {
            let merge = pendingMerges[index]
            // Adopt only a fold that ends at one of this state's own layers (a copy of the state
            // may have moved on differently). A change log is captured once, from one state, so
            // a fold that ends with it holds exactly what `base` plus the layers up to it hold.
            guard let merged = merge.finished,
                let covered = EntriesMerge.position(of: merge.layers.last, in: layers)
            else { continue }
            // The replaced map and the folded logs die with these references; freeing them
            // walks every replaced bucket and logged entry, so it happens on another thread.
            let retired = (base, Array(pendingMerges[...index]))
            base = merged
            layers.removeFirst(covered + 1)
            pendingMerges.removeFirst(index + 1)
            BackgroundRelease.drop(retired)
            return
        }
    }

    private func forEachEntry(
        where include: (StateKey) -> Bool, _ body: (StateKey, StateValue) throws -> Void
    ) rethrows {
        if layers.isEmpty && (base.isEmpty || changesSinceCapture.isEmpty) {
            // One source of truth: no key can be hidden, so no set of seen keys is needed.
            for (key, change) in changesSinceCapture {
                if let value = change, include(key) { try body(key, value) }
            }
            for (key, value) in base where include(key) { try body(key, value) }
            return
        }
        let logs = [changesSinceCapture] + layers.reversed().map(\.changes)
        var seen = Set<StateKey>()
        for log in logs where !log.isEmpty {
            // A newer log hides what older logs and the map say about the same key.
            for (key, change) in log where seen.insert(key).inserted {
                if let value = change, include(key) { try body(key, value) }
            }
        }
        for (key, value) in base where !seen.contains(key) && include(key) {
            try body(key, value)
        }
    }
}
