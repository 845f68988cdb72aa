/// What a pipeline asks the runtime to produce, in the order it must be produced.
public enum Emission: Sendable, Equatable {
    /// A result for the sink topic.
    case output(OutputRecord)
    /// A record that could not be decoded, failed an operator, or came too late (when lateness
    /// is configured to go to the dead letters), for the dead-letter topic. Its headers name the
    /// reason, the operator and the source topic, partition and offset (see ``DeadLetterHeader``).
    case deadLetter(OutputRecord)

    /// The record, whichever output it is for.
    public var record: OutputRecord {
        switch self {
        case .output(let record), .deadLetter(let record): record
        }
    }

    /// Whether this is a dead letter.
    public var isDeadLetter: Bool {
        if case .deadLetter = self { return true }
        return false
    }
}

/// The header names a dead letter carries, so that a person or a tool can trace and replay it.
public enum DeadLetterHeader {
    /// Why the record is a dead letter, in words (e.g. "field `amount` is missing").
    public static let reason = "exactly.dead-letter.reason"
    /// The error code (e.g. `missingField`, `lateRecord`).
    public static let code = "exactly.dead-letter.code"
    /// The operator that rejected it (e.g. "operators[2] window", with the YAML line when known).
    public static let operatorName = "exactly.dead-letter.operator"
    /// The source topic.
    public static let sourceTopic = "exactly.source.topic"
    /// The source partition, in decimal.
    public static let sourcePartition = "exactly.source.partition"
    /// The source offset, in decimal.
    public static let sourceOffset = "exactly.source.offset"
}
