/// What a window does with a record that arrives after its window's allowed lateness.
public enum LatePolicy: String, Sendable, CaseIterable {
    /// Drop it and count it (``PartitionProcessor/lateRecordsDropped(in:)``).
    case drop
    /// Emit it as a dead letter with code `lateRecord`.
    case deadLetter = "dead_letter"
}
