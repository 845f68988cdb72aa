import KeyedState

/// ``Aggregation/reduce(_:)``: the accumulator is the running value itself.
struct ReduceAggregator: Aggregator {
    let combine: @Sendable ([UInt8], [UInt8]) throws -> [UInt8]

    func add(_ record: Record, to accumulator: StateValue?) throws -> StateValue {
        guard let accumulator else { return StateValue(record.value) }
        return StateValue(try combine(accumulator.bytes, record.value))
    }

    func merge(_ first: StateValue, _ second: StateValue) throws -> StateValue {
        StateValue(try combine(first.bytes, second.bytes))
    }

    func result(_ accumulator: StateValue, key: [UInt8], window: Window?) throws -> [UInt8] {
        accumulator.bytes
    }
}
