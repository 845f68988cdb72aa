/// Why one record could not go through an operator: it could not be decoded, lacked a field, had
/// a field of the wrong type, came too late, or a user closure threw.
///
/// It becomes the reason header of a dead letter, or the reason inside ``PipelineStoppedError``.
public struct RecordError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of failure; new codes may be added.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable, Hashable {
            case malformedJSON, missingField, wrongType, missingKey, badEventTime, lateRecord, operatorFailed
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The value is not valid JSON, or not a JSON object where one is needed.
        public static let malformedJSON = Code(.malformedJSON)
        /// A field the operator reads is absent.
        public static let missingField = Code(.missingField)
        /// A field has the wrong JSON type (e.g. a string where a number is summed).
        public static let wrongType = Code(.wrongType)
        /// A keyed operator got a record with no key (no `keyBy` and no Kafka key).
        public static let missingKey = Code(.missingKey)
        /// The event-time field cannot be read in the declared format.
        public static let badEventTime = Code(.badEventTime)
        /// The record came after its window's allowed lateness.
        public static let lateRecord = Code(.lateRecord)
        /// A user closure threw.
        public static let operatorFailed = Code(.operatorFailed)

        public var description: String { value.rawValue }
    }

    /// The kind of failure.
    public var code: Code
    /// What was wrong, with the value, in words.
    public var message: String

    /// A record error of this kind.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
