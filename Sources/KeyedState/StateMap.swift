/// A persistent map from ``StateKey`` to bytes: copying it is O(1), and changing a copy copies
/// only the buckets it changes.
///
/// The keys are spread by hash over a power-of-two number of buckets, each a small ``SlotMap``
/// (about 8 to 32 entries) shared by reference between the copies of the map. The first write
/// to a bucket after a copy copies that bucket (its entries, contiguous in memory); later writes
/// to it go in place. This is what folding an epoch's change log into the state costs, once per
/// checkpoint, so it is built for that:
///
/// - A dense fold (a large part of the keys changed, as at short checkpoint intervals) copies
///   each bucket once: a few nanoseconds per key, sequential in memory.
/// - A sparse fold copies one bucket (at most 32 entries) per changed key, plus the bucket table.
///
/// A persistent hash trie (`TreeDictionary`, used before) copies a path of up to three 32-slot
/// nodes per changed key and frees the old path later: measured 1.7 µs per changed key, a fifth
/// of the process's CPU at a 100 ms checkpoint interval (see docs/RUNTIME.md).
///
/// A key is hashed once (`StateKey.hashValue`, SipHash seeded per process): the hash's high bits
/// pick the bucket, its low bits the slot in the bucket, and seven bits from the middle are the
/// slot's control byte. Buckets were `Dictionary`s, which hashed every key a second time and kept
/// keys and values in separate arrays (two cache misses per lookup where a slot map has one).
public struct StateMap: Sendable, Sequence, ExpressibleByDictionaryLiteral {
    typealias Bucket = SlotMap<StateValue>

    /// The buckets; a key lives in `buckets[bucketIndex(key)]`.
    private var buckets: [Bucket]
    /// log2 of `buckets.count`.
    private var bucketBits: Int
    /// The number of entries.
    public private(set) var count: Int

    /// Buckets hold this many entries on average, at most, before the table doubles.
    static let maxAverageBucketSize = 32
    /// The fewest buckets a map has: small maps stay one table allocation of empty buckets.
    static let minBucketBits = 4

    /// An empty map.
    public init() {
        self.init(bucketBits: Self.minBucketBits)
    }

    /// An empty map with buckets for about `capacity` entries.
    public init(minimumCapacity capacity: Int) {
        self.init(bucketBits: Self.bucketBits(for: capacity))
    }

    /// A map of these entries; a key given twice keeps its last value.
    public init(dictionaryLiteral elements: (StateKey, StateValue)...) {
        self.init(minimumCapacity: elements.count)
        for (key, value) in elements { self[key] = value }
    }

    private init(bucketBits: Int) {
        self.bucketBits = bucketBits
        buckets = Array(repeating: Bucket(), count: 1 << bucketBits)
        count = 0
    }

    /// Whether the map holds no entries.
    public var isEmpty: Bool { count == 0 }

    /// The value stored for `key`, or `nil`; setting `nil` removes the key.
    public subscript(key: StateKey) -> StateValue? {
        get { value(for: key, hash: key.hashValue) }
        set {
            if let newValue {
                updateValue(newValue, forKey: key)
            } else {
                removeValue(forKey: key)
            }
        }
    }

    /// The value stored for `key`, whose `hashValue` the caller has already computed as `hash`:
    /// ``PartitionState`` hashes a key once for its change logs and the map.
    func value(for key: StateKey, hash: Int) -> StateValue? {
        buckets[bucketIndex(hash)].value(for: key, hash: hash)
    }

    /// Stores `value` for `key` and returns the value it replaced, if any.
    @discardableResult
    public mutating func updateValue(_ value: StateValue, forKey key: StateKey) -> StateValue? {
        let hash = key.hashValue
        let replaced = buckets[bucketIndex(hash)].updateValue(value, forKey: key, hash: hash)
        if replaced == nil {
            count += 1
            if count > buckets.count * Self.maxAverageBucketSize { grow() }
        }
        return replaced
    }

    /// Removes `key` and returns its value, if it was there.
    @discardableResult
    public mutating func removeValue(forKey key: StateKey) -> StateValue? {
        let hash = key.hashValue
        let removed = buckets[bucketIndex(hash)].removeValue(forKey: key, hash: hash)
        if removed != nil { count -= 1 }
        return removed
    }

    /// Entries come as `(key:, value:)`, bucket by bucket, in no particular order.
    public struct Iterator: IteratorProtocol {
        private let buckets: [Bucket]
        private var nextBucket: Int
        private var current: Bucket.Iterator

        fileprivate init(_ buckets: [Bucket]) {
            self.buckets = buckets
            nextBucket = 1
            current = buckets[0].makeIterator()
        }

        public mutating func next() -> (key: StateKey, value: StateValue)? {
            while true {
                if let entry = current.next() { return entry }
                guard nextBucket < buckets.count else { return nil }
                current = buckets[nextBucket].makeIterator()
                nextBucket += 1
            }
        }
    }

    public func makeIterator() -> Iterator {
        Iterator(buckets)
    }

    public var underestimatedCount: Int { count }

    /// The bucket of a key with this hash: the hash's top `bucketBits` bits.
    private func bucketIndex(_ hash: Int) -> Int {
        Self.bucketIndex(hash, bits: bucketBits)
    }

    fileprivate static func bucketIndex(_ hash: Int, bits: Int) -> Int {
        Int(truncatingIfNeeded: UInt(bitPattern: hash) &>> UInt(Int.bitWidth - bits))
    }

    /// The number of bucket bits that keeps `capacity` entries at about 8 to 16 per bucket.
    fileprivate static func bucketBits(for capacity: Int) -> Int {
        var bits = minBucketBits
        while (1 << bits) * 16 < capacity { bits += 1 }
        return bits
    }

    /// Doubles the bucket table, moving every entry (amortized O(1) per insert; it happens in
    /// folds and restores, off the processing thread).
    private mutating func grow() {
        var load = Load(capacity: count, bucketBits: bucketBits + 1)
        for bucket in buckets {
            for (key, value) in bucket { load.append(key, value) }
        }
        self = load.build()
    }
}

extension StateMap {
    /// Builds a map from many distinct entries at once: a full checkpoint's restore.
    ///
    /// Inserting entries in the order they come would touch a random bucket per entry in a table
    /// much larger than the processor's caches. The entries are first moved into bucket order (a
    /// counting sort), then each bucket is built in one go at its final size.
    ///
    /// Entries are moved, never copied: a copy would touch the reference count of each key or
    /// value stored in an array, a cache miss per entry at a random place in memory.
    package struct Load: ~Copyable {
        private var keys: UnsafeMutablePointer<StateKey>
        private var values: UnsafeMutablePointer<StateValue>
        private var hashes: [Int] = []
        private var count = 0
        private var capacity: Int
        /// Fixed by the caller (a table doubling), or `nil` to size for the entries appended.
        private let fixedBucketBits: Int?

        /// A load expecting about `capacity` entries.
        package init(capacity: Int) {
            self.init(capacity: capacity, fixedBucketBits: nil)
        }

        fileprivate init(capacity: Int, bucketBits: Int) {
            self.init(capacity: capacity, fixedBucketBits: bucketBits)
        }

        private init(capacity: Int, fixedBucketBits: Int?) {
            self.capacity = Swift.max(capacity, 16)
            self.fixedBucketBits = fixedBucketBits
            keys = .allocate(capacity: self.capacity)
            values = .allocate(capacity: self.capacity)
            hashes.reserveCapacity(self.capacity)
        }

        /// Adds an entry; keys must be distinct.
        package mutating func append(_ key: StateKey, _ value: consuming StateValue) {
            if count == capacity { grow() }
            hashes.append(key.hashValue)
            (keys + count).initialize(to: key)
            (values + count).initialize(to: value)
            count += 1
        }

        /// The map holding every appended entry.
        package consuming func build() -> StateMap {
            let bits = fixedBucketBits ?? StateMap.bucketBits(for: count)
            let bucketCount = 1 << bits
            var starts = [Int](repeating: 0, count: bucketCount + 1)
            for hash in hashes { starts[StateMap.bucketIndex(hash, bits: bits) + 1] += 1 }
            for index in 1..<starts.count { starts[index] += starts[index - 1] }
            // Scatter the entries into bucket order (sequential reads, scattered writes, which
            // the processor does not wait for), then build each bucket from consecutive entries.
            // Gathering instead (a sorted index, then reading entries at random) stalled on a
            // cache miss per entry: 90% of the build's time for 10M keys.
            let sortedKeys = UnsafeMutablePointer<StateKey>.allocate(capacity: Swift.max(count, 1))
            let sortedValues = UnsafeMutablePointer<StateValue>.allocate(capacity: Swift.max(count, 1))
            defer {
                sortedKeys.deallocate()
                sortedValues.deallocate()
            }
            // The hashes travel with their entries: the buckets place keys by them, unhashed again.
            var sortedHashes = [Int](repeating: 0, count: count)
            var next = starts
            for index in 0..<count {
                let bucket = StateMap.bucketIndex(hashes[index], bits: bits)
                let position = next[bucket]
                next[bucket] = position + 1
                (sortedKeys + position).moveInitialize(from: keys + index, count: 1)
                sortedHashes[position] = hashes[index]
                (sortedValues + position).moveInitialize(from: values + index, count: 1)
            }
            count = 0  // every entry has moved on; deinit frees only the buffers
            var map = StateMap(bucketBits: bits)
            for bucket in 0..<bucketCount where starts[bucket] < starts[bucket + 1] {
                var entries = Bucket(minimumCapacity: starts[bucket + 1] - starts[bucket])
                for position in starts[bucket]..<starts[bucket + 1] {
                    let key = (sortedKeys + position).move()
                    entries.updateValue((sortedValues + position).move(), forKey: key, hash: sortedHashes[position])
                }
                map.buckets[bucket] = entries
            }
            // Counted, not assumed: a key appended twice (which a caller must not do) is one entry.
            map.count = map.buckets.reduce(0) { $0 + $1.count }
            return map
        }

        private mutating func grow() {
            let larger = capacity * 2
            let newKeys = UnsafeMutablePointer<StateKey>.allocate(capacity: larger)
            let newValues = UnsafeMutablePointer<StateValue>.allocate(capacity: larger)
            newKeys.moveInitialize(from: keys, count: count)
            newValues.moveInitialize(from: values, count: count)
            keys.deallocate()
            values.deallocate()
            (keys, values, capacity) = (newKeys, newValues, larger)
        }

        deinit {
            keys.deinitialize(count: count)
            values.deinitialize(count: count)
            keys.deallocate()
            values.deallocate()
        }
    }
}
