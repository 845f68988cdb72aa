/// Runs field aggregates over JSON values with a fixed-size accumulator: the record count
/// (Int64), then one Double per non-count aggregate (the running sum, min or max; an average
/// keeps its sum and divides by the count). Sums are Doubles: exact for integers below 2^53.
struct FieldAggregator: Aggregator {
    let fields: [FieldAggregate]
    private let encodedNames: [[UInt8]]
    private static let keyName = JSONWriter.encodedName(Array("key".utf8))
    private static let startName = JSONWriter.encodedName(Array("window_start".utf8))
    private static let endName = JSONWriter.encodedName(Array("window_end".utf8))

    init(_ fields: [FieldAggregate]) {
        self.fields = fields
        encodedNames = fields.map { JSONWriter.encodedName(Array($0.name.utf8)) }
    }

    private var size: Int { 8 + 8 * fields.count }

    func add(_ record: Record, to accumulator: [UInt8]?) throws -> [UInt8] {
        let count = accumulator.map { StateBytes.readInt64($0[...], at: 0) } ?? 0
        var out: [UInt8] = []
        out.reserveCapacity(size)
        StateBytes.appendInt64(count + 1, to: &out)
        for (index, aggregate) in fields.enumerated() {
            guard let field = aggregate.field else {
                StateBytes.appendDouble(0, to: &out)
                continue
            }
            let value = try JSONReader.number(JSONReader.require(field, in: record.value), in: record.value, path: field)
            guard let accumulator else {
                StateBytes.appendDouble(value, to: &out)
                continue
            }
            let running = StateBytes.readDouble(accumulator[...], at: 8 + 8 * index)
            StateBytes.appendDouble(Self.combine(aggregate.operation, running, value), to: &out)
        }
        return out
    }

    func merge(_ first: [UInt8], _ second: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(size)
        StateBytes.appendInt64(StateBytes.readInt64(first[...], at: 0) + StateBytes.readInt64(second[...], at: 0), to: &out)
        for (index, aggregate) in fields.enumerated() {
            let a = StateBytes.readDouble(first[...], at: 8 + 8 * index)
            let b = StateBytes.readDouble(second[...], at: 8 + 8 * index)
            StateBytes.appendDouble(Self.combine(aggregate.operation, a, b), to: &out)
        }
        return out
    }

    /// One aggregate's running value from two (a running value and a new value, or two running
    /// values being merged). Count has none: it is the shared record count.
    private static func combine(_ operation: FieldAggregate.Operation, _ a: Double, _ b: Double) -> Double {
        switch operation {
        case .count: 0
        case .sum, .average: a + b
        case .min: Swift.min(a, b)
        case .max: Swift.max(a, b)
        }
    }

    func result(_ accumulator: [UInt8], key: [UInt8], window: Window?) throws -> [UInt8] {
        var writer = JSONWriter(capacity: 32 + key.count + 24 * fields.count)
        writer.name(Self.keyName)
        writer.string(key)
        if let window {
            writer.name(Self.startName)
            writer.integer(window.start)
            writer.name(Self.endName)
            writer.integer(window.end)
        }
        let count = StateBytes.readInt64(accumulator[...], at: 0)
        for (index, aggregate) in fields.enumerated() {
            writer.name(encodedNames[index])
            let value = StateBytes.readDouble(accumulator[...], at: 8 + 8 * index)
            switch aggregate.operation {
            case .count: writer.integer(count)
            case .sum, .min, .max: writer.number(value)
            case .average: writer.number(value / Double(count))
            }
        }
        return writer.finish()
    }
}
