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

    /// Calls `body` with each held output, oldest first, then forgets them all (also when
    /// `body` throws): the outputs are lent to `body` in place, not copied out of the buffer.
    public mutating func drain<E: Error>(_ body: (borrowing Output) throws(E) -> Void) throws(E) {
        defer {
            outputs.removeAll(keepingCapacity: true)
            bytes = 0
        }
        try outputs.withUnsafeBufferPointer { (buffer) throws(E) in
            for index in buffer.indices { try body(buffer[index]) }
        }
    }

    /// Drops every held output (their checkpoint was aborted; they will be produced again).
    public mutating func discard() {
        outputs.removeAll(keepingCapacity: true)
        bytes = 0
    }
}
