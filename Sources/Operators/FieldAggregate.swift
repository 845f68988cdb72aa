/// One built-in aggregate over a JSON field, named in the output object.
public struct FieldAggregate: Sendable, Equatable {
    /// The built-in aggregates.
    public enum Operation: String, Sendable, CaseIterable {
        /// The number of records.
        case count
        /// The sum of the field.
        case sum
        /// The smallest value of the field.
        case min
        /// The largest value of the field.
        case max
        /// The mean of the field.
        case average
    }

    /// What is computed.
    public var operation: Operation
    /// The JSON number field it reads (`nil` for `count`).
    public var field: FieldPath?
    /// The member name in the output object.
    public var name: String

    /// The number of records, output as `name` (default `count`).
    public static func count(as name: String = "count") -> FieldAggregate {
        FieldAggregate(operation: .count, field: nil, name: name)
    }

    /// The sum of `field`, output as `name` (default `sum`).
    public static func sum(_ field: FieldPath, as name: String = "sum") -> FieldAggregate {
        FieldAggregate(operation: .sum, field: field, name: name)
    }

    /// The smallest `field`, output as `name` (default `min`).
    public static func min(_ field: FieldPath, as name: String = "min") -> FieldAggregate {
        FieldAggregate(operation: .min, field: field, name: name)
    }

    /// The largest `field`, output as `name` (default `max`).
    public static func max(_ field: FieldPath, as name: String = "max") -> FieldAggregate {
        FieldAggregate(operation: .max, field: field, name: name)
    }

    /// The mean of `field`, output as `name` (default `average`).
    public static func average(_ field: FieldPath, as name: String = "average") -> FieldAggregate {
        FieldAggregate(operation: .average, field: field, name: name)
    }
}
