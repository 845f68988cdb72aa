/// What a pipeline does with a record it cannot decode or that fails an operator.
public enum ErrorPolicy: String, Sendable, CaseIterable {
    /// Emit it as a dead letter (``Emission/deadLetter(_:)``) with the reason in its headers and
    /// go on with the next record.
    case deadLetter = "dead_letter"
    /// Stop: `process` throws ``PipelineStoppedError`` naming the record and the reason.
    case stop
}

/// What a window does with a record that arrives after its window's allowed lateness.
public enum LatePolicy: String, Sendable, CaseIterable {
    /// Drop it and count it (``PartitionProcessor/lateRecordsDropped(in:)``).
    case drop
    /// Emit it as a dead letter with code `lateRecord`.
    case deadLetter = "dead_letter"
}
