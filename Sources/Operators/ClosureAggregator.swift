import KeyedState

/// ``Aggregation/aggregate(initial:add:merge:result:)``: a typed accumulator kept as its
/// ``StateCodable`` bytes, decoded and re-encoded around each user closure.
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

    private func encode(_ value: Accumulator) -> StateValue {
        var bytes: [UInt8] = []
        value.encodeState(into: &bytes)
        return StateValue(bytes)
    }

    private func decode(_ value: StateValue) throws -> Accumulator {
        try Accumulator(decodingState: value.bytes[...])
    }

    func add(_ record: Record, to accumulator: StateValue?) throws -> StateValue {
        var value = try accumulator.map(decode) ?? initial
        try addRecord(&value, record)
        return encode(value)
    }

    func merge(_ first: StateValue, _ second: StateValue) throws -> StateValue {
        encode(try mergeAccumulators(decode(first), decode(second)))
    }

    func result(_ accumulator: StateValue, key: [UInt8], window: Window?) throws -> [UInt8] {
        try makeResult(decode(accumulator), AggregateContext(key: key, window: window))
    }
}
