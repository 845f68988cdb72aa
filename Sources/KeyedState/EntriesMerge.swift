import Synchronization

/// One captured change log, frozen: the entries put (`.some(value)`) or deleted (`nil`) between
/// two captures. Shared by a state and its snapshots; never changed.
final class ChangeLayer: Sendable {
    let changes: ChangeLog

    init(_ changes: ChangeLog) {
        self.changes = changes
    }
}

/// A map plus change layers to apply on it, oldest first, and, once computed, their merge.
///
/// Folding the layers into the map copies each bucket they change once. A snapshot hands this
/// object to the checkpoint writer, which folds on its own thread (``merged()``); the state the
/// snapshot came from then adopts the result at its next capture in O(1). The thread that
/// processes records therefore never pays for bucket copies.
///
/// The merge of the snapshot before (its predecessor) covers the first of these layers; once
/// it is computed, this merge starts from it and folds only the layers after, so that each
/// change log is folded once however the folds and captures interleave.
final class EntriesMerge: Sendable {
    let base: StateMap
    let layers: [ChangeLayer]
    private struct Progress {
        var result: StateMap?
        /// Dropped once `result` is computed, so that merges do not keep a chain of old maps.
        var predecessor: EntriesMerge?
    }
    private let progress: Mutex<Progress>

    init(base: StateMap, layers: [ChangeLayer], predecessor: EntriesMerge? = nil) {
        self.base = base
        self.layers = layers
        progress = Mutex(Progress(result: layers.isEmpty ? base : nil, predecessor: layers.isEmpty ? nil : predecessor))
    }

    /// The merge if some thread has computed it already; never computes and never waits for a
    /// thread that is computing it (the thread that processes records asks this at every
    /// capture).
    var finished: StateMap? {
        progress.withLockIfAvailable { $0.result } ?? nil
    }

    /// The base with every layer applied, computed once (by whichever thread asks first).
    func merged() -> StateMap {
        progress.withLock { progress in
            if let result = progress.result { return result }
            var map = base
            var layers = self.layers[...]
            if let predecessor = progress.predecessor, let start = predecessor.finished,
                let covered = Self.position(of: predecessor.layers.last, in: self.layers)
            {
                // The snapshot before was folded already: fold only what came after it.
                map = start
                layers = self.layers[(covered + 1)...]
            } else if base.isEmpty, let first = layers.first {
                // A first fold (a state loaded from nothing): build the map bucket by bucket.
                var load = StateMap.Load(capacity: first.changes.count)
                for (key, change) in first.changes {
                    if let value = change { load.append(key, value) }
                }
                map = load.build()
                layers = layers.dropFirst()
            }
            for layer in layers {
                for (key, change) in layer.changes {
                    if let value = change {
                        map[key] = value
                    } else {
                        map.removeValue(forKey: key)
                    }
                }
            }
            progress.result = map
            progress.predecessor = nil
            return map
        }
    }

    /// Where `layer` is in `layers`, by identity. A change log is captured once, from one state,
    /// so the entries after applying it are the same in every merge that holds it.
    static func position(of layer: ChangeLayer?, in layers: [ChangeLayer]) -> Int? {
        guard let layer else { return nil }
        return layers.lastIndex { $0 === layer }
    }

    /// Calls `body` for every entry of the merge, computing it only if there is more than one
    /// layer: with one, the layer's puts, then the base's entries the layer does not mention.
    func forEachEntry(_ body: (StateKey, StateValue) throws -> Void) rethrows {
        if let finished {
            for (key, value) in finished { try body(key, value) }
        } else if layers.count == 1 {
            let changes = layers[0].changes
            for (key, change) in changes {
                if let value = change { try body(key, value) }
            }
            for (key, value) in base where changes[key] == nil { try body(key, value) }
        } else {
            for (key, value) in merged() { try body(key, value) }
        }
    }

    /// The value of `key` in the merge, without computing it.
    func lookup(_ key: StateKey) -> StateValue? {
        if let finished { return finished[key] }
        for layer in layers.reversed() {
            if let change = layer.changes[key] { return change }
        }
        return base[key]
    }
}
