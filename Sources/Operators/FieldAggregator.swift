import KeyedState

/// Runs field aggregates over JSON values with a fixed-size accumulator: the record count
/// (Int64), then one Double per non-count aggregate (the running sum, min or max; an average
/// keeps its sum and divides by the count). Sums are Doubles: exact for integers below 2^53.
///
/// A class, not a struct: the record path copies the aggregator out of its stage for every
/// record, and a class is one reference to count where the struct's arrays were two.
final class FieldAggregator: Aggregator {
    let fields: [FieldAggregate]
    private let encodedNames: [[UInt8]]
    // Per aggregator, not static: a static array is one object whose reference count every
    // lane would update per record, its cache line bouncing between cores.
    private let keyName = JSONWriter.encodedName(Array("key".utf8))
    private let startName = JSONWriter.encodedName(Array("window_start".utf8))
    private let endName = JSONWriter.encodedName(Array("window_end".utf8))

    init(_ fields: [FieldAggregate]) {
        self.fields = fields
        encodedNames = fields.map { JSONWriter.encodedName(Array($0.name.utf8)) }
    }

    /// The accumulator's size in 8-byte words: the count, then one per aggregate. With up to two
    /// aggregates it fits a ``StateValue`` inline (no allocation per update).
    private var words: Int { 1 + fields.count }

    func add(_ record: Record, to accumulator: StateValue?) throws -> StateValue {
        if let accumulator { try checkShape(accumulator) }
        var out = Words(count: words)
        out[0] = Self.word(Int64(1) + (accumulator.map { Self.count(of: $0) } ?? 0))
        for index in fields.indices {
            guard let field = fields[index].field else { continue }  // a count: its word stays 0
            let value = try JSONReader.number(JSONReader.require(field, in: record.value), in: record.value, path: field)
            guard let accumulator else {
                out[1 + index] = Self.word(value)
                continue
            }
            out[1 + index] = Self.word(Self.combine(fields[index].operation, Self.running(index, of: accumulator), value))
        }
        return out.stateValue
    }

    func merge(_ first: StateValue, _ second: StateValue) throws -> StateValue {
        try checkShape(first)
        try checkShape(second)
        var out = Words(count: words)
        out[0] = Self.word(Self.count(of: first) + Self.count(of: second))
        for index in fields.indices {
            out[1 + index] = Self.word(
                Self.combine(fields[index].operation, Self.running(index, of: first), Self.running(index, of: second)))
        }
        return out.stateValue
    }

    /// An accumulator being built: little-endian words (StateBytes.appendInt64's layout, which
    /// checkpoints hold), the first three on the stack (a count and two aggregates, as most
    /// pipelines have), so that building one and storing it inline allocates nothing.
    private struct Words {
        private var first: (UInt64, UInt64, UInt64) = (0, 0, 0)
        private var more: [UInt64]
        let count: Int

        init(count: Int) {
            self.count = count
            more = count > 3 ? Array(repeating: 0, count: count - 3) : []
        }

        subscript(index: Int) -> UInt64 {
            get {
                switch index {
                case 0: first.0
                case 1: first.1
                case 2: first.2
                default: more[index - 3]
                }
            }
            set {
                switch index {
                case 0: first.0 = newValue
                case 1: first.1 = newValue
                case 2: first.2 = newValue
                default: more[index - 3] = newValue
                }
            }
        }

        var stateValue: StateValue {
            var head = first
            return withUnsafeBytes(of: &head) { head in
                guard count > 3 else { return StateValue(copying: UnsafeRawBufferPointer(rebasing: head[..<(8 * count)])) }
                return more.withUnsafeBytes { tail in StateValue(Array(head) + Array(tail)) }
            }
        }
    }

    private static func word(_ value: Int64) -> UInt64 { UInt64(bitPattern: value).littleEndian }
    private static func word(_ value: Double) -> UInt64 { value.bitPattern.littleEndian }

    /// The reads below load words without bounds checks (in release builds), so every
    /// accumulator that comes from state is measured first. A longer one (a pipeline that had
    /// more aggregates) is read as before, its leading words; a `--dry-run` replay then shows
    /// how the outputs differ. A shorter one would be read past its end: that stops.
    private func checkShape(_ accumulator: StateValue) throws(AccumulatorShapeError) {
        guard accumulator.count >= 8 * words else {
            throw AccumulatorShapeError(storedBytes: accumulator.count, neededBytes: 8 * words)
        }
    }

    private static func count(of accumulator: StateValue) -> Int64 {
        accumulator.withUnsafeBytes { Int64(littleEndian: $0.loadUnaligned(fromByteOffset: 0, as: Int64.self)) }
    }

    private static func running(_ index: Int, of accumulator: StateValue) -> Double {
        accumulator.withUnsafeBytes {
            Double(bitPattern: UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 8 + 8 * index, as: UInt64.self)))
        }
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

    func result(_ accumulator: StateValue, key: [UInt8], window: Window?) throws -> [UInt8] {
        try checkShape(accumulator)
        var writer = JSONWriter(capacity: 32 + key.count + 24 * fields.count)
        writer.name(keyName)
        writer.string(key)
        if let window {
            writer.name(startName)
            writer.integer(window.start)
            writer.name(endName)
            writer.integer(window.end)
        }
        let count = Self.count(of: accumulator)
        for index in fields.indices {
            writer.name(encodedNames[index])
            let value = Self.running(index, of: accumulator)
            switch fields[index].operation {
            case .count: writer.integer(count)
            case .sum, .min, .max: writer.number(value)
            case .average: writer.number(value / Double(count))
            }
        }
        return writer.finish()
    }
}
