
/// Every live entry of a ``PartitionSnapshot``: a read-only map from ``StateKey`` to bytes.
///
/// Lookups and ``count`` are cheap. Iterating (or ``map``) needs the captured change logs
/// folded into one ``StateMap``: that is done once, by the first thread that asks; a checkpoint writer
/// does it on its own thread (``materialize()``) so that the processing thread never does.
public struct SnapshotEntries: Sequence, Sendable {
    /// Entries come as `(key:, value:)`, in no particular order.
    public typealias Iterator = StateMap.Iterator

    let merge: EntriesMerge

    /// The number of live keys.
    public let count: Int

    /// Whether there are no live keys.
    public var isEmpty: Bool { count == 0 }

    /// The value stored for `key`, or `nil`.
    public subscript(key: StateKey) -> StateValue? {
        merge.lookup(key)
    }

    /// The entries as one persistent map (folding the change logs first if no thread has).
    public var map: StateMap {
        merge.merged()
    }

    /// Folds the change logs into one map now, on the calling thread. The state the snapshot
    /// was captured from adopts the result at its next capture instead of folding itself.
    public func materialize() {
        _ = merge.merged()
    }

    /// Calls `body` for every entry, in no particular order, without folding the change logs
    /// when it can avoid it: a checkpoint writer serializes first and folds after the
    /// checkpoint is durable.
    public func forEachEntry(_ body: (StateKey, StateValue) throws -> Void) rethrows {
        try merge.forEachEntry(body)
    }

    /// Iterates every entry, in no particular order.
    public func makeIterator() -> Iterator {
        merge.merged().makeIterator()
    }
}
