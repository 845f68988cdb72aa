/// The value of one entry in a partition's keyed state: bytes that an operator encodes.
///
/// Values of up to 24 bytes (most accumulators: a count and one or two running numbers, a
/// deduplication expiry, a watermark) are stored inline, in three words, like ``StateKey``;
/// longer values are kept in an array.
///
/// Inline values are why this type exists. Every checkpoint folds the values changed since the
/// last one into the state's map, copying the buckets they land in, and later frees the buckets
/// and change logs it replaced. With an array per value, each of those copies and frees touched
/// every value's reference count (a cache miss at a random place in memory per entry), and each
/// update allocated an array on one thread that another thread freed. Inline, a bucket copy is a
/// copy of contiguous memory and an update allocates nothing.
public struct StateValue: Equatable, Sendable, ExpressibleByArrayLiteral, CustomStringConvertible {
    private let storage: InlineBytes

    /// The longest value stored without a heap allocation.
    public static let inlineCapacity = InlineBytes.inlineCapacity

    /// A value made of exactly these bytes.
    public init(_ bytes: [UInt8]) {
        storage = InlineBytes(bytes)
    }

    /// A value made of the bytes in `buffer`.
    public init(copying buffer: UnsafeRawBufferPointer) {
        storage = InlineBytes(copying: buffer)
    }

    /// A value made of the literal's bytes.
    public init(arrayLiteral bytes: UInt8...) {
        self.init(bytes)
    }

    /// The value's bytes, as a new array (an allocation for an inline value: in hot paths, read
    /// them through ``withUnsafeBytes(_:)``).
    public var bytes: [UInt8] {
        storage.bytes
    }

    /// The number of bytes in the value.
    public var count: Int { storage.count }

    /// Whether the value's bytes live in an array rather than inline.
    var isOnHeap: Bool { storage.isOnHeap }

    /// Calls `body` with the value's bytes, without allocating.
    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try storage.withUnsafeBytes(body)
    }

    /// The value's bytes in hexadecimal.
    public var description: String { storage.hexadecimal }
}

/// What a ``SlotMap`` needs to know of its values: whether one holds a reference, so that a
/// table of inline entries only is copied and freed without visiting its entries.
protocol SlotValue: Sendable {
    var isOnHeap: Bool { get }
}

extension StateValue: SlotValue {}

extension Optional: SlotValue where Wrapped == StateValue {
    var isOnHeap: Bool { self?.isOnHeap ?? false }
}
