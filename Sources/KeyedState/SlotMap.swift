import CPrefetch

/// A hash map from ``StateKey`` to `Value` with value semantics (copying is O(1); the first change
/// to a copy copies the table): the storage of ``ChangeLog`` and of ``StateMap``'s buckets.
///
/// An open-addressing table with linear probing: (key, value) pairs in one array, so that a key
/// and its value share a cache line, and one control byte per slot (empty, or seven bits of the
/// key's hash) in another. A `Dictionary` keeps keys and values in separate arrays, so a lookup in
/// a table larger than the processor's caches cost a cache miss per key compared on the probe
/// sequence plus one for the value; here a probe reads control bytes (64 per cache line) and
/// touches an entry only when seven bits of hash match. Removal shifts the entries after the
/// removed one back (no tombstones).
///
/// Callers pass the key's `hashValue` in, so that a ``StateMap`` hashes a key once for both its
/// bucket (the hash's high bits) and the slot in it (the low bits); the control byte takes bits
/// from the middle, used by neither.
struct SlotMap<Value: SlotValue>: Sendable, Sequence {
    private var table: Table?

    /// An empty map (it allocates at the first insertion).
    init() {}

    /// An empty map with room for `capacity` entries before it grows.
    init(minimumCapacity capacity: Int) {
        let slots = Self.slots(for: capacity)
        if slots > 0 { table = Table(capacity: slots) }
    }

    var count: Int { table?.count ?? 0 }

    var isEmpty: Bool { count == 0 }

    /// The slot holding `key` (whose `hashValue` is `hash`), if the map holds it.
    func slot(of key: StateKey, hash: Int) -> Int? {
        table?.slot(of: key, hash: hash)
    }

    /// The value in `slot` (from ``slot(of:hash:)``).
    func value(at slot: Int) -> Value {
        table!.entries[slot].value
    }

    /// The value of `key`, or `nil`.
    func value(for key: StateKey, hash: Int) -> Value? {
        // Not `guard let table`: binding the table retained and released it on every lookup.
        guard let slot = table?.slot(of: key, hash: hash) else { return nil }
        return table.unsafelyUnwrapped.entries[slot].value
    }

    /// Replaces the value in `slot` (from ``slot(of:hash:)``, with no insertion or removal since).
    mutating func replaceValue(at slot: Int, with value: Value) {
        makeUnique()
        table!.replaceValue(at: slot, with: value)
    }

    /// Stores `value` for `key` and returns the value it replaced, if any.
    @discardableResult
    mutating func updateValue(_ value: Value, forKey key: StateKey, hash: Int) -> Value? {
        if let slot = slot(of: key, hash: hash) {
            let replaced = table!.entries[slot].value
            replaceValue(at: slot, with: value)
            return replaced
        }
        insertNew(key, value, hash: hash)
        return nil
    }

    /// Inserts `key`, which the map must not hold.
    mutating func insertNew(_ key: StateKey, _ value: Value, hash: Int) {
        makeUnique()
        if let table, (table.count + 1) * 4 <= table.capacity * 3 {
            table.insertNew(key, value, hash: hash)
            return
        }
        let grown = Table(capacity: Swift.max(16, (table?.capacity ?? 0) * 2))
        table?.moveAll(into: grown)
        grown.insertNew(key, value, hash: hash)
        table = grown
    }

    /// Removes `key` and returns its value, if the map held it.
    @discardableResult
    mutating func removeValue(forKey key: StateKey, hash: Int) -> Value? {
        guard let slot = slot(of: key, hash: hash) else { return nil }
        makeUnique()
        return table!.remove(at: slot)
    }

    /// Makes room for `capacity` entries in all without growing.
    mutating func reserveCapacity(_ capacity: Int) {
        let slots = Self.slots(for: capacity)
        guard slots > (table?.capacity ?? 0) else { return }
        let larger = Table(capacity: slots)
        if table != nil {
            if isKnownUniquelyReferenced(&table) {
                table!.moveAll(into: larger)
            } else {
                table!.copyAll(into: larger)
            }
        }
        table = larger
    }

    /// Entries come as `(key:, value:)`, slot by slot (in no particular order).
    struct Iterator: IteratorProtocol {
        private let table: Table?
        private var slot = 0

        fileprivate init(table: Table?) {
            self.table = table
        }

        mutating func next() -> (key: StateKey, value: Value)? {
            guard let table else { return nil }
            while slot < table.capacity {
                defer { slot += 1 }
                if table.control[slot] != 0 { return table.entries[slot] }
            }
            return nil
        }
    }

    func makeIterator() -> Iterator {
        Iterator(table: table)
    }

    private mutating func makeUnique() {
        // No `if let table`: a binding is one more reference, and the table would never be unique.
        if table != nil, !isKnownUniquelyReferenced(&table) { table = table!.copy() }
    }

    /// A power of two of at least 16 slots, filled at most three quarters by `capacity` entries.
    private static func slots(for capacity: Int) -> Int {
        guard capacity > 0 else { return 0 }
        var slots = 16
        while slots * 3 < capacity * 4 { slots *= 2 }
        return slots
    }

    /// The slots; changed only while uniquely referenced (see `makeUnique`).
    fileprivate final class Table: @unchecked Sendable {
        // @unchecked: a table is changed only through the one SlotMap that references it;
        // shared tables (a captured change log, a map shared with snapshots) are never changed.
        let capacity: Int
        var count = 0
        /// How many entries hold a reference (a key or value stored in an array). With none, the
        /// table is copied and freed as plain memory, without visiting its entries: at short
        /// checkpoint intervals a fold copies most buckets and frees the ones it replaced.
        private var heapEntries = 0
        let control: UnsafeMutablePointer<UInt8>
        let entries: UnsafeMutablePointer<(key: StateKey, value: Value)>

        init(capacity: Int) {
            self.capacity = capacity
            control = .allocate(capacity: capacity)
            control.initialize(repeating: 0, count: capacity)
            entries = .allocate(capacity: capacity)
        }

        /// The control byte of an occupied slot: the top bit set, and seven bits of the hash
        /// that neither the slot index (low bits) nor a StateMap's bucket index (high bits) use.
        static func tag(_ hash: Int) -> UInt8 {
            0x80 | UInt8(truncatingIfNeeded: UInt(bitPattern: hash) >> 32)
        }

        func slot(of key: StateKey, hash: Int) -> Int? {
            let tag = Self.tag(hash)
            let mask = capacity - 1
            var slot = hash & mask
            // In a table larger than the caches the control byte and the entry are two cache
            // misses, and the entry's load waits for the byte's comparison. Asking for the entry
            // first lets the two misses overlap: count+sum in memory (scripts/bench-operators.sh),
            // six alternating pairs, about 5% more records/s with 100k keys (-2 to +10% per
            // pair), 3-13% with 1M.
            exactly_prefetch_for_reading(entries + slot)
            while true {
                let byte = control[slot]
                if byte == 0 { return nil }
                if byte == tag && entries[slot].key == key { return slot }
                slot = (slot + 1) & mask
            }
        }

        /// Puts a key that is not in the table into its first empty slot (room must exist).
        func insertNew(_ key: StateKey, _ value: Value, hash: Int) {
            let mask = capacity - 1
            var slot = hash & mask
            while control[slot] != 0 { slot = (slot + 1) & mask }
            control[slot] = Self.tag(hash)
            (entries + slot).initialize(to: (key, value))
            count += 1
            if key.isOnHeap || value.isOnHeap { heapEntries += 1 }
        }

        func replaceValue(at slot: Int, with value: Value) {
            let key = entries[slot].key
            let before = key.isOnHeap || entries[slot].value.isOnHeap
            entries[slot].value = value
            let after = key.isOnHeap || value.isOnHeap
            if before != after { heapEntries += after ? 1 : -1 }
        }

        /// Removes the entry in `slot`, then moves each later entry of its probe run that would
        /// no longer be found (its home slot is at or before the hole) back into the hole.
        func remove(at slot: Int) -> Value {
            let entry = (entries + slot).move()
            control[slot] = 0
            count -= 1
            if entry.key.isOnHeap || entry.value.isOnHeap { heapEntries -= 1 }
            let mask = capacity - 1
            var hole = slot
            var next = (slot + 1) & mask
            while control[next] != 0 {
                let home = entries[next].key.hashValue & mask
                // Whether `home` lies cyclically in (hole, next]: then the entry stays.
                let stays = hole <= next ? (hole < home && home <= next) : (hole < home || home <= next)
                if !stays {
                    (entries + hole).moveInitialize(from: entries + next, count: 1)
                    control[hole] = control[next]
                    control[next] = 0
                    hole = next
                }
                next = (next + 1) & mask
            }
            return entry.value
        }

        /// The same slots in a new table.
        func copy() -> Table {
            let copy = Table(capacity: capacity)
            copy.control.update(from: control, count: capacity)
            if heapEntries == 0 {
                // Inline entries only: their bytes are the whole of them (empty slots' bytes,
                // copied along, are never read).
                UnsafeMutableRawPointer(copy.entries).copyMemory(
                    from: entries, byteCount: capacity * MemoryLayout<(key: StateKey, value: Value)>.stride)
            } else {
                for slot in 0..<capacity where control[slot] != 0 {
                    (copy.entries + slot).initialize(to: entries[slot])
                }
            }
            copy.count = count
            copy.heapEntries = heapEntries
            return copy
        }

        /// Moves every entry into `other` (a larger empty table), leaving this one empty.
        func moveAll(into other: Table) {
            for slot in 0..<capacity where control[slot] != 0 {
                let entry = (entries + slot).move()
                other.insertNew(entry.key, entry.value, hash: entry.key.hashValue)
                control[slot] = 0
            }
            count = 0
            heapEntries = 0
        }

        /// Copies every entry into `other` (a larger empty table).
        func copyAll(into other: Table) {
            for slot in 0..<capacity where control[slot] != 0 {
                let entry = entries[slot]
                other.insertNew(entry.key, entry.value, hash: entry.key.hashValue)
            }
        }

        deinit {
            if heapEntries > 0 {
                for slot in 0..<capacity where control[slot] != 0 {
                    (entries + slot).deinitialize(count: 1)
                }
            }
            control.deallocate()
            entries.deallocate()
        }
    }
}
