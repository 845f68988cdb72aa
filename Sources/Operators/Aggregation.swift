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

/// What a user aggregate's `result` closure is told about the group it summarises.
public struct AggregateContext: Sendable {
    /// The key.
    public var key: [UInt8]
    /// The window, for a window operator.
    public var window: Window?
}

struct ReduceAggregator: Aggregator {
    let combine: @Sendable ([UInt8], [UInt8]) throws -> [UInt8]

    func add(_ record: Record, to accumulator: [UInt8]?) throws -> [UInt8] {
        guard let accumulator else { return record.value }
        return try combine(accumulator, record.value)
    }

    func merge(_ first: [UInt8], _ second: [UInt8]) throws -> [UInt8] {
        try combine(first, second)
    }

    func result(_ accumulator: [UInt8], key: [UInt8], window: Window?) throws -> [UInt8] {
        accumulator
    }
}

struct ClosureAggregator<Accumulator: StateCodable>: Aggregator {
    let initial: Accumulator
    let addRecord: @Sendable (inout Accumulator, Record) throws -> Void
    let mergeAccumulators: @Sendable (Accumulator, Accumulator) throws -> Accumulator
    let makeResult: @Sendable (Accumulator, AggregateContext) throws -> [UInt8]

    init(
        initial: Accumulator, add: @escaping @Sendable (inout Accumulator, Record) throws -> Void,
        merge: @escaping @Sendable (Accumulator, Accumulator) throws -> Accumulator,
        result: @escaping @Sendable (Accumulator, AggregateContext) throws -> [UInt8]
    ) {
        self.initial = initial
        addRecord = add
        mergeAccumulators = merge
        makeResult = result
    }

    private func encode(_ value: Accumulator) -> [UInt8] {
        var bytes: [UInt8] = []
        value.encodeState(into: &bytes)
        return bytes
    }

    func add(_ record: Record, to accumulator: [UInt8]?) throws -> [UInt8] {
        var value = try accumulator.map { try Accumulator(decodingState: $0[...]) } ?? initial
        try addRecord(&value, record)
        return encode(value)
    }

    func merge(_ first: [UInt8], _ second: [UInt8]) throws -> [UInt8] {
        encode(try mergeAccumulators(Accumulator(decodingState: first[...]), Accumulator(decodingState: second[...])))
    }

    func result(_ accumulator: [UInt8], key: [UInt8], window: Window?) throws -> [UInt8] {
        try makeResult(Accumulator(decodingState: accumulator[...]), AggregateContext(key: key, window: window))
    }
}
