import HashTreeCollections

/// Builds a trie from many distinct entries in the trie's own order: used to fold a large change
/// log into an empty trie, and by the checkpoint store to restore a full base.
///
/// A hash trie places a key by the 5-bit groups of its hash, lowest group first. Inserting keys
/// as they come touches a random path per key through a trie much larger than the
/// processor's caches, so restore is bound by memory latency. Sorting the keys by their first
/// three groups (a counting sort: two linear passes) first makes consecutive inserts walk the
/// same, cache-resident nodes. The order changes nothing but speed: the result is the same map.
package struct TrieBulkLoad {
    private var keys: [StateKey] = []
    private var values: [[UInt8]] = []
    private var buckets: [UInt16] = []
    private static let bucketBits = 15

    /// A load expecting about `capacity` entries.
    package init(capacity: Int) {
        keys.reserveCapacity(capacity)
        values.reserveCapacity(capacity)
        buckets.reserveCapacity(capacity)
    }

    /// Adds an entry; keys must be distinct.
    package mutating func append(_ key: StateKey, _ value: [UInt8]) {
        let hash = UInt(bitPattern: key.hashValue)
        // The trie's first three levels use hash bits 0-4, 5-9, 10-14: most significant first here.
        let bucket = (hash & 31) << 10 | ((hash >> 5) & 31) << 5 | ((hash >> 10) & 31)
        keys.append(key)
        values.append(value)
        buckets.append(UInt16(bucket))
    }

    /// The trie holding every appended entry.
    package func build() -> TreeDictionary<StateKey, [UInt8]> {
        var starts = [Int](repeating: 0, count: (1 << Self.bucketBits) + 1)
        for bucket in buckets { starts[Int(bucket) + 1] += 1 }
        for index in 1..<starts.count { starts[index] += starts[index - 1] }
        var order = [Int32](repeating: 0, count: keys.count)
        for (index, bucket) in buckets.enumerated() {
            order[starts[Int(bucket)]] = Int32(index)
            starts[Int(bucket)] += 1
        }
        var trie = TreeDictionary<StateKey, [UInt8]>()
        for index in order {
            trie[keys[Int(index)]] = values[Int(index)]
        }
        return trie
    }
}
