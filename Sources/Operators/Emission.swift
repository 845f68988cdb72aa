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

    /// The record, moved out of the emission (no copy of its fields, as ``record`` makes).
    public consuming func takeRecord() -> OutputRecord {
        switch consume self {
        case .output(let record), .deadLetter(let record): record
        }
    }

    /// Whether this is a dead letter.
    public var isDeadLetter: Bool {
        if case .deadLetter = self { return true }
        return false
    }
}
