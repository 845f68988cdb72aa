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
