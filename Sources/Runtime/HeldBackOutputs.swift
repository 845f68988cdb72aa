/// Outputs made from a checkpoint's barrier on, while that checkpoint completes, held until the
/// next epoch's transaction begins (they must not join the transaction being committed).
///
/// Bounded by bytes: when full, the processor stops taking input until the commit completes,
/// so a slow commit costs throughput, never memory.
public struct HeldBackOutputs<Output: Sendable>: Sendable {
    /// The most bytes held before input stops.
    public let capacityBytes: Int
    /// The outputs, oldest first.
    public private(set) var outputs: [Output] = []
    /// The bytes they hold.
    public private(set) var bytes = 0

    /// An empty buffer that holds up to `capacityBytes`.
    public init(capacityBytes: Int) {
        self.capacityBytes = capacityBytes
    }

    /// Whether more input may be processed.
    public var hasRoom: Bool { bytes < capacityBytes }

    /// Holds `output`, which takes `size` bytes. Always accepted: the bound is enforced by the
    /// caller checking ``hasRoom`` before it processes the next record.
    public mutating func append(_ output: consuming Output, size: Int) {
        outputs.append(output)
        bytes += size
    }

    /// Hands `body` each held output, oldest first, then forgets them all (also when `body`
    /// throws).
    ///
    /// Each output is moved out to `body`, not lent in place: a lent output was copied as soon
    /// as `body` passed its fields on, every reference in it counted up and down once more
    /// (uprobes: 23 more reference counts per held output).
    public mutating func drain<E: Error>(_ body: (consuming Output) throws(E) -> Void) throws(E) {
        var pending: [Output] = []
        swap(&pending, &outputs)
        bytes = 0
        defer {
            // What a throw left is dropped; the buffer's capacity is kept for the next epoch
            // (`body` cannot have appended anything: the drain has exclusive access).
            pending.removeAll(keepingCapacity: true)
            swap(&pending, &outputs)
        }
        // Reversed through a buffer pointer, whose swaps move the elements; the array's own
        // `reverse()` copies them (every reference counted up and down).
        pending.withUnsafeMutableBufferPointer { $0.reverse() }
        while let output = pending.popLast() {
            try body(consume output)
        }
    }

    /// Drops every held output (their checkpoint was aborted; they will be produced again).
    public mutating func discard() {
        outputs.removeAll(keepingCapacity: true)
        bytes = 0
    }
}
