/// ``Aggregation/reduce(_:)``: the accumulator is the running value itself.
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
