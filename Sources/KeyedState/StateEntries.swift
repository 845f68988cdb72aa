import HashTreeCollections

/// The live entries of a partition's state or snapshot: a persistent hash trie from
/// ``StateKey`` to bytes.
///
/// Copying is O(1) and a write after a copy copies only the path to the written entry. Values of
/// up to 24 bytes are stored inline in the trie's nodes, like keys, so that copying a node after
/// a snapshot copies plain bytes instead of updating a reference count per entry.
public struct StateEntries: Sequence, Sendable {
    /// One entry, as `PartitionState.forEach(_:)` gives it.
    public typealias Element = (key: StateKey, value: [UInt8])

    private var storage: TreeDictionary<StateKey, InlineBytes>

    /// No entries.
    public init() {
        storage = [:]
    }

    /// The entries of `dictionary`.
    public init(_ dictionary: TreeDictionary<StateKey, [UInt8]>) {
        storage = dictionary.mapValues { InlineBytes($0) }
    }

    /// The number of entries.
    public var count: Int { storage.count }

    /// Whether there are no entries.
    public var isEmpty: Bool { storage.isEmpty }

    /// The value stored for `key`, or `nil`.
    public subscript(key: StateKey) -> [UInt8]? {
        storage[key]?.bytes
    }

    /// Stores `value` for `key`, replacing any earlier value.
    public mutating func put(_ value: [UInt8], for key: StateKey) {
        storage[key] = InlineBytes(value)
    }

    /// Stores the bytes in `value` for `key`, replacing any earlier value.
    public mutating func put(copying value: UnsafeRawBufferPointer, for key: StateKey) {
        storage[key] = InlineBytes(copying: value)
    }

    /// Removes `key`; returns whether it was there.
    @discardableResult
    public mutating func remove(_ key: StateKey) -> Bool {
        storage.removeValue(forKey: key) != nil
    }

    /// Calls `body` with every key and its value's bytes, in no particular order, without
    /// allocating: the way to serialize entries.
    public func forEachUnsafe(_ body: (StateKey, UnsafeRawBufferPointer) throws -> Void) rethrows {
        for (key, value) in storage {
            try value.withUnsafeBytes { try body(key, $0) }
        }
    }

    /// Iterates the entries in no particular order.
    public func makeIterator() -> Iterator {
        Iterator(base: storage.makeIterator())
    }

    /// Iterates the entries of a ``StateEntries``.
    public struct Iterator: IteratorProtocol {
        var base: TreeDictionary<StateKey, InlineBytes>.Iterator

        /// The next entry, or `nil` at the end.
        public mutating func next() -> Element? {
            guard let (key, value) = base.next() else { return nil }
            return (key, value.bytes)
        }
    }
}
