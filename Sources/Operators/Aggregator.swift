/// The byte-level form every aggregation takes inside a processor, so the keyed and window
/// operators store any accumulator in ``KeyedState`` the same way.
protocol Aggregator: Sendable {
    /// The accumulator after adding `record` to `accumulator` (`nil`: nothing added yet).
    /// Throws without effect when the record cannot be added.
    func add(_ record: Record, to accumulator: [UInt8]?) throws -> [UInt8]
    /// One accumulator for the union of two (session windows merge).
    func merge(_ first: [UInt8], _ second: [UInt8]) throws -> [UInt8]
    /// The output value for `accumulator` of `key`, inside `window` for window operators.
    func result(_ accumulator: [UInt8], key: [UInt8], window: Window?) throws -> [UInt8]
}
