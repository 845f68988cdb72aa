/// The entries of a partition's state written between two captures: for each key, its new value,
/// or `nil` for a deletion. Copying is O(1); the first change to a copy copies the table.
///
/// A ``SlotMap`` (key and change side by side, control bytes for the probes): the processing
/// lane asks the live log about every record's key, and a key's first write of an epoch asks
/// each captured log, mostly to hear "not here" — an answer a `Dictionary` gave with a cache miss
/// per key compared, in a table larger than the caches.
public struct ChangeLog: Sendable, Sequence, ExpressibleByDictionaryLiteral {
    public typealias Element = (key: StateKey, change: StateValue?)

    private var slots: SlotMap<StateValue?>

    /// An empty log (it allocates at the first change).
    public init() {
        slots = SlotMap()
    }

    /// An empty log with room for `capacity` changes before it grows.
    public init(minimumCapacity capacity: Int) {
        slots = SlotMap(minimumCapacity: capacity)
    }

    /// A log holding these changes.
    public init(_ changes: [StateKey: StateValue?]) {
        self.init(changes.lazy.map { ($0.key, $0.value) }, count: changes.count)
    }

    /// A log holding these changes (a key given twice keeps its last change).
    public init(dictionaryLiteral elements: (StateKey, StateValue?)...) {
        self.init(elements, count: elements.count)
    }

    private init(_ changes: some Sequence<(StateKey, StateValue?)>, count: Int) {
        self.init(minimumCapacity: count)
        for (key, change) in changes { record(change, for: key) }
    }

    /// The number of keys changed.
    public var count: Int { slots.count }

    /// Whether no key changed.
    public var isEmpty: Bool { slots.isEmpty }

    /// The change recorded for `key`: `nil` when there is none, `.some(nil)` for a deletion.
    public subscript(key: StateKey) -> StateValue?? {
        slots.value(for: key, hash: key.hashValue)
    }

    /// The slot holding `key` (whose `hashValue` is `hash`), if the log holds it.
    func slot(of key: StateKey, hash: Int) -> Int? {
        slots.slot(of: key, hash: hash)
    }

    /// The change in `slot` (from ``slot(of:hash:)``).
    func change(at slot: Int) -> StateValue? {
        slots.value(at: slot)
    }

    /// Replaces the change in `slot` (from ``slot(of:hash:)``, with no change recorded since).
    mutating func replaceChange(at slot: Int, with change: StateValue?) {
        slots.replaceValue(at: slot, with: change)
    }

    /// Records `change` for `key`, replacing the change recorded before, which it returns.
    @discardableResult
    public mutating func record(_ change: StateValue?, for key: StateKey) -> StateValue?? {
        record(change, for: key, hash: key.hashValue)
    }

    /// ``record(_:for:)`` for a key whose `hashValue` is `hash`.
    @discardableResult
    mutating func record(_ change: StateValue?, for key: StateKey, hash: Int) -> StateValue?? {
        slots.updateValue(change, forKey: key, hash: hash)
    }

    /// Records `change` for `key` (whose `hashValue` is `hash`), which the log must not hold:
    /// ``slot(of:hash:)`` just said so. ``record(_:for:)`` would probe for it a second time.
    mutating func recordNew(_ change: StateValue?, for key: StateKey, hash: Int) {
        slots.insertNew(key, change, hash: hash)
    }

    /// Makes room for `capacity` changes in all without growing.
    public mutating func reserveCapacity(_ capacity: Int) {
        slots.reserveCapacity(capacity)
    }

    /// The changes, in no particular order.
    public struct Iterator: IteratorProtocol {
        fileprivate var slots: SlotMap<StateValue?>.Iterator

        public mutating func next() -> Element? {
            slots.next().map { ($0.key, $0.value) }
        }
    }

    public func makeIterator() -> Iterator {
        Iterator(slots: slots.makeIterator())
    }

    public var underestimatedCount: Int { count }

    /// The log as a `Dictionary` (for tests and diagnostics).
    public var dictionary: [StateKey: StateValue?] {
        var result: [StateKey: StateValue?] = [:]
        result.reserveCapacity(count)
        for (key, change) in self { result[key] = .some(change) }
        return result
    }
}
