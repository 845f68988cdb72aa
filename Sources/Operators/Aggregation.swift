/// What a keyed or window operator computes per key: built-in field aggregates over JSON values
/// (`count`, `sum`, `min`, `max`, `average`), or a user reduction or aggregate.
public struct Aggregation: Sendable {
    let aggregator: any Aggregator

    /// Several field aggregates at once; the result is a JSON object with `key` (and
    /// `window_start`, `window_end` for windows) and one member per aggregate, e.g.
    /// `{"key":"k1","count":3,"sum":42.5}`.
    public static func fields(_ fields: [FieldAggregate]) -> Aggregation {
        Aggregation(aggregator: FieldAggregator(fields))
    }

    /// Counts records: `{"key":…,"count":n}`.
    public static let count = fields([.count()])

    /// Sums the JSON number at `field`.
    public static func sum(_ field: FieldPath) -> Aggregation { fields([.sum(field)]) }

    /// The smallest JSON number at `field`.
    public static func min(_ field: FieldPath) -> Aggregation { fields([.min(field)]) }

    /// The largest JSON number at `field`.
    public static func max(_ field: FieldPath) -> Aggregation { fields([.max(field)]) }

    /// The mean of the JSON numbers at `field`.
    public static func average(_ field: FieldPath) -> Aggregation { fields([.average(field)]) }

    /// Combines record values pairwise: the first value of a key is kept as is, and each later
    /// value `v` turns the running value `r` into `combine(r, v)`. The result is the running value.
    /// `combine` must be deterministic; session windows also use it to merge two running values.
    public static func reduce(_ combine: @escaping @Sendable (_ running: [UInt8], _ value: [UInt8]) throws -> [UInt8]) -> Aggregation {
        Aggregation(aggregator: ReduceAggregator(combine: combine))
    }

    /// A user aggregate over an accumulator kept in keyed state: `add` folds a record in,
    /// `merge` joins two accumulators (session windows), `result` makes the output value.
    /// All three must be deterministic.
    public static func aggregate<Accumulator: StateCodable>(
        initial: Accumulator,
        add: @escaping @Sendable (inout Accumulator, Record) throws -> Void,
        merge: @escaping @Sendable (Accumulator, Accumulator) throws -> Accumulator,
        result: @escaping @Sendable (Accumulator, AggregateContext) throws -> [UInt8]
    ) -> Aggregation {
        Aggregation(aggregator: ClosureAggregator(initial: initial, add: add, merge: merge, result: result))
    }
}
