import HeapModule
import KeyedState

/// The event-time timers of one operator. The timers live in keyed state (one empty entry per
/// timer, keyed by time then payload), so a checkpoint captures them; the heap is only an
/// in-memory index over those entries, rebuilt once after a restore.
///
/// Cancelling deletes the state entry and leaves the heap entry behind; a heap entry whose state
/// entry is gone is skipped when it comes up. Timers fire in (time, payload bytes) order, which
/// makes the order of the results they emit deterministic.
struct TimerIndex: Sendable {
    struct Timer: Comparable, Sendable {
        var time: Int64
        var payload: [UInt8]

        static func < (lhs: Timer, rhs: Timer) -> Bool {
            lhs.time != rhs.time ? lhs.time < rhs.time : lhs.payload.lexicographicallyPrecedes(rhs.payload)
        }
    }

    let namespace: StateNamespace
    private var heap = Heap<Timer>()

    init(namespace: StateNamespace) {
        self.namespace = namespace
    }

    private func stateKey(_ time: Int64, _ payload: [UInt8]) -> StateKey {
        var suffix = StateBytes.ordered(time)
        suffix.append(contentsOf: payload)
        return namespace.key(suffix)
    }

    /// Schedules a timer; scheduling one that is already scheduled does nothing.
    mutating func schedule(_ time: Int64, _ payload: [UInt8], state: inout PartitionState) {
        let key = stateKey(time, payload)
        guard state[key] == nil else { return }
        state.put([], for: key)
        heap.insert(Timer(time: time, payload: payload))
    }

    /// Cancels a timer if it is scheduled.
    func cancel(_ time: Int64, _ payload: [UInt8], state: inout PartitionState) {
        state.delete(stateKey(time, payload))
    }

    /// Removes and returns the earliest timer due at `watermark`, or `nil`.
    mutating func popDue(upTo watermark: Int64, state: inout PartitionState) -> Timer? {
        while let next = heap.min, next.time <= watermark {
            heap.removeMin()
            let key = stateKey(next.time, next.payload)
            if state[key] != nil {
                state.delete(key)
                return next
            }
        }
        return nil
    }

    /// Whether `key` is one of this index's timer entries; if so, indexes it.
    mutating func collect(_ key: StateKey, into timers: inout [Timer]) -> Bool {
        guard let suffix = namespace.suffix(of: key), suffix.count >= 8 else { return false }
        timers.append(Timer(time: StateBytes.readOrdered(suffix.prefix(8)), payload: Array(suffix.dropFirst(8))))
        return true
    }

    /// Replaces the heap by these timers (read from restored state).
    mutating func rebuild(_ timers: [Timer]) {
        heap = Heap(timers)
    }

    var pendingCount: Int { heap.count }
}
