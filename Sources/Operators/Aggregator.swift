import KeyedState

/// The byte-level form every aggregation takes inside a processor, so the keyed and window
/// operators store any accumulator in ``KeyedState`` the same way: as a ``StateValue``, which
/// holds a small accumulator (up to 24 bytes) without a heap allocation.
protocol Aggregator: Sendable {
    /// The accumulator after adding `record` to `accumulator` (`nil`: nothing added yet).
    /// Throws without effect when the record cannot be added.
    func add(_ record: Record, to accumulator: StateValue?) throws -> StateValue
    /// One accumulator for the union of two (session windows merge).
    func merge(_ first: StateValue, _ second: StateValue) throws -> StateValue
    /// The output value for `accumulator` of `key`, inside `window` for window operators.
    func result(_ accumulator: StateValue, key: [UInt8], window: Window?) throws -> [UInt8]
}

extension Aggregator {
    /// ``add(_:to:)`` for a record the caller holds `inout`: a closure that captures an `inout`
    /// record and passes it on as a plain argument copies it first (four reference counts up
    /// and down per record); passed `inout` it is only borrowed.
    func add(_ record: inout Record, to accumulator: StateValue?) throws -> StateValue {
        try add(record, to: accumulator)
    }
}
