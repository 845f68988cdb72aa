import HashTreeCollections

/// Builds a trie from many distinct entries in the trie's own order: used to fold a large change
/// log into an empty trie, and by the checkpoint store to restore a full base.
///
/// A hash trie places a key by the 5-bit groups of its hash, lowest group first. Inserting keys
/// in the order they come touches a random path per key through a trie much larger than the
/// processor's caches, so building it is bound by memory latency. The entries are first moved
/// into the order of their hash's first three groups (a counting sort: one counting pass, one
/// scattering pass), then inserted in that order, so consecutive inserts walk the same
/// cache-resident nodes. Hashes are seeded per process, so no file order can do this in advance.
///
/// Entries are moved, never copied, from `append` to the trie: a copy would touch each value's
/// reference count, a cache miss per entry at random places in memory, which was measured to
/// cost more than the inserts themselves.
package struct TrieBulkLoad: ~Copyable {
    private var keys: UnsafeMutablePointer<StateKey>
    private var values: UnsafeMutablePointer<[UInt8]>
    private var buckets: [UInt16] = []
    private var count = 0
    private var capacity: Int
    private static let bucketBits = 15

    /// A load expecting about `capacity` entries.
    package init(capacity: Int) {
        self.capacity = max(capacity, 16)
        keys = .allocate(capacity: self.capacity)
        values = .allocate(capacity: self.capacity)
        buckets.reserveCapacity(self.capacity)
    }

    /// Adds an entry; keys must be distinct.
    package mutating func append(_ key: StateKey, _ value: consuming [UInt8]) {
        if count == capacity { grow() }
        let hash = UInt(bitPattern: key.hashValue)
        // The trie's first three levels use hash bits 0-4, 5-9, 10-14: most significant first here.
        let bucket: UInt = (hash & 31) << 10 | ((hash >> 5) & 31) << 5 | ((hash >> 10) & 31)
        buckets.append(UInt16(bucket))
        (keys + count).initialize(to: key)
        (values + count).initialize(to: value)
        count += 1
    }

    /// The trie holding every appended entry.
    package consuming func build() -> TreeDictionary<StateKey, [UInt8]> {
        var starts = [Int](repeating: 0, count: (1 << Self.bucketBits) + 1)
        for bucket in buckets { starts[Int(bucket) + 1] += 1 }
        for index in 1..<starts.count { starts[index] += starts[index - 1] }
        let sortedKeys = UnsafeMutablePointer<StateKey>.allocate(capacity: count)
        let sortedValues = UnsafeMutablePointer<[UInt8]>.allocate(capacity: count)
        defer {
            sortedKeys.deallocate()
            sortedValues.deallocate()
        }
        for index in 0..<count {
            let bucket = Int(buckets[index])
            let position = starts[bucket]
            starts[bucket] = position + 1
            (sortedKeys + position).moveInitialize(from: keys + index, count: 1)
            (sortedValues + position).moveInitialize(from: values + index, count: 1)
        }
        let total = count
        count = 0  // every entry has moved on; deinit frees only the buffers
        var trie = TreeDictionary<StateKey, [UInt8]>()
        for index in 0..<total {
            trie[(sortedKeys + index).move()] = (sortedValues + index).move()
        }
        return trie
    }

    private mutating func grow() {
        let larger = capacity * 2
        let newKeys = UnsafeMutablePointer<StateKey>.allocate(capacity: larger)
        let newValues = UnsafeMutablePointer<[UInt8]>.allocate(capacity: larger)
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
