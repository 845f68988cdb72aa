/// A pipeline that cannot run as written: an unknown operator, a missing or mistyped setting, a
/// window without event time. From YAML it names the line and column, the key path, and what is
/// allowed there.
public struct PipelineDefinitionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of mistake; new codes may be added.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable, Hashable {
            case invalidYAML, unknownOperator, unknownKey, missingKey, wrongType, invalidValue, needsEventTime
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The text is not YAML.
        public static let invalidYAML = Code(.invalidYAML)
        /// An operator name that does not exist.
        public static let unknownOperator = Code(.unknownOperator)
        /// A setting that the operator does not have.
        public static let unknownKey = Code(.unknownKey)
        /// A required setting is absent.
        public static let missingKey = Code(.missingKey)
        /// A setting has the wrong YAML type (e.g. a list where a string is needed).
        public static let wrongType = Code(.wrongType)
        /// A setting has a value outside what is allowed (e.g. a negative duration).
        public static let invalidValue = Code(.invalidValue)
        /// A window or deduplication without `event_time`.
        public static let needsEventTime = Code(.needsEventTime)

        public var description: String { value.rawValue }
    }

    /// The kind of mistake.
    public var code: Code
    /// The 1-based line, when the pipeline came from YAML.
    public var line: Int?
    /// The 1-based column, when the pipeline came from YAML.
    public var column: Int?
    /// Where in the pipeline, e.g. `operators[2].window.size`.
    public var path: String
    /// What is wrong, with the value found.
    public var message: String
    /// What would be accepted there.
    public var allowed: String

    /// An error at `path` (and at `line`/`column` when known).
    public init(_ code: Code, path: String, line: Int? = nil, column: Int? = nil, message: String, allowed: String) {
        self.code = code
        self.path = path
        self.line = line
        self.column = column
        self.message = message
        self.allowed = allowed
    }

    public var description: String {
        var where_ = ""
        if let line {
            where_ = "line \(line)" + (column.map { ", column \($0)" } ?? "") + ": "
        }
        return "\(where_)`\(path)`: \(message); allowed: \(allowed)"
    }
}
