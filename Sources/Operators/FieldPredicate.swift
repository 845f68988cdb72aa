/// A test on one JSON field, the predicate of a YAML `filter`.
///
/// A record whose field is absent does not match (except `exists(false)`); a numeric comparison
/// on a field that is not a number is a `wrongType` record error (dead letter or stop), because
/// silently dropping such a record would hide a data problem.
public struct FieldPredicate: Sendable, Equatable {
    /// A JSON scalar to compare with.
    public enum Scalar: Sendable, Equatable, CustomStringConvertible {
        /// A JSON number, compared numerically.
        case number(Double)
        /// A JSON string, compared by its unescaped content.
        case string(String)
        /// `true` or `false`.
        case bool(Bool)
        /// `null`.
        case null

        public var description: String {
            switch self {
            case .number(let value): "\(value)"
            case .string(let value): "\"\(value)\""
            case .bool(let value): "\(value)"
            case .null: "null"
            }
        }
    }

    /// The test.
    public enum Comparison: Sendable, Equatable {
        /// The field is this scalar (same JSON type and value).
        case equals(Scalar)
        /// The field is absent or not this scalar.
        case notEquals(Scalar)
        /// The field is a number above the bound.
        case greaterThan(Double)
        /// The field is a number at or above the bound.
        case atLeast(Double)
        /// The field is a number below the bound.
        case lessThan(Double)
        /// The field is a number at or below the bound.
        case atMost(Double)
        /// The field is present (`true`) or absent (`false`).
        case exists(Bool)
        /// The field equals one of these scalars.
        case oneOf([Scalar])
    }

    /// The field tested.
    public var field: FieldPath
    /// The test.
    public var comparison: Comparison

    /// A predicate testing `field` with `comparison`.
    public init(_ field: FieldPath, _ comparison: Comparison) {
        self.field = field
        self.comparison = comparison
    }

    /// Whether `value` (a JSON object) matches.
    func matches(_ value: [UInt8]) throws -> Bool {
        let token = try JSONReader.find(field, in: value)
        switch comparison {
        case .exists(let expected):
            return (token != nil) == expected
        case .equals(let scalar):
            guard let token else { return false }
            return try Self.equal(token, in: value, to: scalar)
        case .notEquals(let scalar):
            guard let token else { return true }
            return try !Self.equal(token, in: value, to: scalar)
        case .oneOf(let scalars):
            guard let token else { return false }
            for scalar in scalars where try Self.equal(token, in: value, to: scalar) {
                return true
            }
            return false
        case .greaterThan(let bound), .atLeast(let bound), .lessThan(let bound), .atMost(let bound):
            guard let token else { return false }
            let number = try JSONReader.number(token, in: value, path: field)
            switch comparison {
            case .greaterThan: return number > bound
            case .atLeast: return number >= bound
            case .lessThan: return number < bound
            default: return number <= bound
            }
        }
    }

    private static func equal(_ token: JSONToken, in value: [UInt8], to scalar: Scalar) throws -> Bool {
        switch (token.kind, scalar) {
        case (.number, .number(let expected)):
            return JSONReader.parseNumber(value[token.range]) == expected
        case (.string, .string(let expected)):
            return JSONReader.stringContent(token, in: value) == Array(expected.utf8)
        case (.bool, .bool(let expected)):
            return value[token.range].first == UInt8(ascii: "t") ? expected : !expected
        case (.null, .null):
            return true
        default:
            return false
        }
    }
}
