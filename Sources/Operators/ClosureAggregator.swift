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
