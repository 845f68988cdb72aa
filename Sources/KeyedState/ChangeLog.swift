/// The entries of a partition's state written between two captures: for each key, its new value,
/// or `nil` for a deletion. Copying is O(1); the first change to a copy copies the table.
///
/// An open-addressing hash table of (key, change) pairs beside one control byte per slot (empty,
/// or seven bits of the key's hash), built for the processing lane's hottest question: "did this
/// epoch write this key?" A `Dictionary` keeps its keys and its values in separate arrays, so the
/// answer cost a cache miss per key compared on the probe sequence plus one for the value, in a
/// table larger than the processor's caches; here a probe reads control bytes (16 per cache
/// line for a 1-byte-per-slot array, which stays cached) and touches one entry, key and value
/// together, only when seven bits of hash match. Keys are never removed (a deletion is a change),
/// so there are no tombstones.
public struct ChangeLog: Sendable, Sequence, ExpressibleByDictionaryLiteral {
    public typealias Element = (key: StateKey, change: StateValue?)

    private var table: Table

    /// An empty log (it allocates at the first change).
    public init() {
        table = Table(capacity: 0)
    }

    /// An empty log with room for `capacity` changes before it grows.
    public init(minimumCapacity capacity: Int) {
        table = Table(capacity: Self.slots(for: capacity))
    }

    /// A log holding these changes (a key given twice keeps its last change).
    public init(_ changes: [StateKey: StateValue?]) {
        self.init(minimumCapacity: changes.count)
        for (key, change) in changes { record(change, for: key) }
    }

    public init(dictionaryLiteral elements: (StateKey, StateValue?)...) {
        self.init(minimumCapacity: elements.count)
        for (key, change) in elements { record(change, for: key) }
    }

    /// The number of keys changed.
    public var count: Int { table.count }

    /// Whether no key changed.
    public var isEmpty: Bool { table.count == 0 }

    /// The change recorded for `key`: `nil` when there is none, `.some(nil)` for a deletion.
    public subscript(key: StateKey) -> StateValue?? {
        slot(of: key, hash: key.hashValue).map { table.entries[$0].change }
    }

    /// The slot holding `key` (whose `hashValue` is `hash`), if the log holds it.
    func slot(of key: StateKey, hash: Int) -> Int? {
        guard table.capacity > 0 else { return nil }
        let tag = Self.tag(hash)
        var slot = hash & (table.capacity - 1)
        while true {
            let control = table.control[slot]
            if control == 0 { return nil }
            if control == tag && table.entries[slot].key == key { return slot }
            slot = (slot + 1) & (table.capacity - 1)
        }
    }

    /// The change in `slot` (from ``slot(of:hash:)``).
    func change(at slot: Int) -> StateValue? {
        table.entries[slot].change
    }

    /// Replaces the change in `slot` (from ``slot(of:hash:)``, with no change recorded since).
    mutating func replaceChange(at slot: Int, with change: StateValue?) {
        makeUnique()
        table.entries[slot].change = change
    }

    /// Records `change` for `key`, replacing the change recorded before, which it returns.
    @discardableResult
    public mutating func record(_ change: StateValue?, for key: StateKey) -> StateValue?? {
        record(change, for: key, hash: key.hashValue)
    }

    /// ``record(_:for:)`` for a key whose `hashValue` is `hash`.
    @discardableResult
    mutating func record(_ change: StateValue?, for key: StateKey, hash: Int) -> StateValue?? {
        if let slot = slot(of: key, hash: hash) {
            let replaced = table.entries[slot].change
            replaceChange(at: slot, with: change)
            return .some(replaced)
        }
        makeUnique()
        if (table.count + 1) * 4 > table.capacity * 3 { grow() }
        table.insertNew(key, change, tag: Self.tag(hash), hash: hash)
        return nil
    }

    /// Makes room for `capacity` changes in all without growing.
    public mutating func reserveCapacity(_ capacity: Int) {
        let slots = Self.slots(for: capacity)
        guard slots > table.capacity else { return }
        table = table.rehashed(capacity: slots)
    }

    public func makeIterator() -> Iterator {
        Iterator(table: table)
    }

    public var underestimatedCount: Int { table.count }

    /// The changes, slot by slot (in no particular order).
    public struct Iterator: IteratorProtocol {
        fileprivate let table: Table
        private var slot = 0

        fileprivate init(table: Table) {
            self.table = table
        }

        public mutating func next() -> Element? {
            while slot < table.capacity {
                defer { slot += 1 }
                if table.control[slot] != 0 {
                    let entry = table.entries[slot]
                    return (entry.key, entry.change)
                }
            }
            return nil
        }
    }

    /// The log as a `Dictionary` (for tests and diagnostics).
    public var dictionary: [StateKey: StateValue?] {
        var result: [StateKey: StateValue?] = [:]
        result.reserveCapacity(count)
        for (key, change) in self { result[key] = .some(change) }
        return result
    }

    private mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&table) { table = table.copy() }
    }

    private mutating func grow() {
        table = table.rehashed(capacity: Swift.max(16, table.capacity * 2))
    }

    /// A power of two of at least 16 slots, filled at most three quarters by `capacity` changes.
    private static func slots(for capacity: Int) -> Int {
        guard capacity > 0 else { return 0 }
        var slots = 16
        while slots * 3 < capacity * 4 { slots *= 2 }
        return slots
    }

    /// The control byte of an occupied slot: the top bit set, and the hash's top seven bits
    /// (the slot index comes from its low bits).
    private static func tag(_ hash: Int) -> UInt8 {
        0x80 | UInt8(truncatingIfNeeded: UInt(bitPattern: hash) >> (UInt.bitWidth - 7))
    }

    fileprivate struct Entry {
        var key: StateKey
        var change: StateValue?
    }

    /// The slots; mutated only while uniquely referenced (see `makeUnique`).
    fileprivate final class Table: @unchecked Sendable {
        // @unchecked: a table is changed only through a ChangeLog that holds the only reference
        // to it; shared tables (a captured log, a snapshot's) are never changed.
        let capacity: Int
        var count = 0
        let control: UnsafeMutablePointer<UInt8>
        let entries: UnsafeMutablePointer<Entry>

        init(capacity: Int) {
            self.capacity = capacity
            control = .allocate(capacity: Swift.max(capacity, 1))
            control.initialize(repeating: 0, count: Swift.max(capacity, 1))
            entries = .allocate(capacity: Swift.max(capacity, 1))
        }

        /// Puts a key that is not in the table into its first empty slot (room must exist).
        func insertNew(_ key: StateKey, _ change: StateValue?, tag: UInt8, hash: Int) {
            var slot = hash & (capacity - 1)
            while control[slot] != 0 { slot = (slot + 1) & (capacity - 1) }
            control[slot] = tag
            (entries + slot).initialize(to: Entry(key: key, change: change))
            count += 1
        }

        /// The same slots in a new table.
        func copy() -> Table {
            let copy = Table(capacity: capacity)
            copy.control.update(from: control, count: capacity)
            for slot in 0..<capacity where control[slot] != 0 {
                (copy.entries + slot).initialize(to: entries[slot])
            }
            copy.count = count
            return copy
        }

        /// The same entries in a new table of `capacity` slots.
        func rehashed(capacity: Int) -> Table {
            let larger = Table(capacity: capacity)
            for slot in 0..<self.capacity where control[slot] != 0 {
                let entry = entries[slot]
                let hash = entry.key.hashValue
                larger.insertNew(entry.key, entry.change, tag: ChangeLog.tag(hash), hash: hash)
            }
            return larger
        }

        deinit {
            for slot in 0..<capacity where control[slot] != 0 {
                (entries + slot).deinitialize(count: 1)
            }
            control.deallocate()
            entries.deallocate()
        }
    }
}
