/// What a pipeline does with a record it cannot decode or that fails an operator.
public enum ErrorPolicy: String, Sendable, CaseIterable {
    /// Emit it as a dead letter (``Emission/deadLetter(_:)``) with the reason in its headers and
    /// go on with the next record.
    case deadLetter = "dead_letter"
    /// Stop: `process` throws ``PipelineStoppedError`` naming the record and the reason.
    case stop
}
