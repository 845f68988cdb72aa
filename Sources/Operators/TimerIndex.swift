import HeapModule

/// The event-time timers of one operator: an in-memory index, never the only copy.
///
/// Every timer is implied by an operator state entry that a checkpoint captures (a window fires
/// at its end and is dropped at end + allowed lateness; a deduplication entry expires at the time
/// it stores), so after a restore the processor rebuilds this index from those entries with one
/// scan, and writing timers to state would only double the writes per record.
///
/// Timers are not cancelled: a timer whose entry changed or disappeared (a merged session, a
/// replaced deduplication entry) is recognised as stale by its handler and does nothing. Timers
/// fire in (time, payload bytes) order, which makes the order of the results deterministic.
struct TimerIndex: Sendable {
    struct Timer: Comparable, Sendable {
        var time: Int64
        var payload: [UInt8]

        static func < (lhs: Timer, rhs: Timer) -> Bool {
            lhs.time != rhs.time ? lhs.time < rhs.time : Self.precedes(lhs.payload, rhs.payload)
        }

        /// Byte-wise order, eight bytes at a time: window payloads share a 17-byte prefix, and
        /// the element-by-element comparison was a tenth of a window operator's time.
        static func precedes(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
            lhs.withUnsafeBytes { left in
                rhs.withUnsafeBytes { right in
                    let common = Swift.min(left.count, right.count)
                    var offset = 0
                    while offset + 8 <= common {
                        let a = UInt64(bigEndian: left.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                        let b = UInt64(bigEndian: right.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                        if a != b { return a < b }
                        offset += 8
                    }
                    while offset < common {
                        if left[offset] != right[offset] { return left[offset] < right[offset] }
                        offset += 1
                    }
                    return left.count < right.count
                }
            }
        }
    }

    private var heap = Heap<Timer>()

    /// Schedules a timer.
    mutating func schedule(_ time: Int64, _ payload: [UInt8]) {
        heap.insert(Timer(time: time, payload: payload))
    }

    /// Removes and returns the earliest timer due at `watermark`, or `nil`.
    mutating func popDue(upTo watermark: Int64) -> Timer? {
        guard let next = heap.min, next.time <= watermark else { return nil }
        return heap.removeMin()
    }

    /// Replaces the index by these timers (derived from restored state).
    mutating func rebuild(_ timers: [Timer]) {
        heap = Heap(timers)
    }

    var pendingCount: Int { heap.count }
}
