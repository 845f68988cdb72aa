/// What the processor does when a source partition's log no longer holds the records from its
/// position on: retention (or a DeleteRecords) removed them before the application processed
/// them. `source.on_deleted_records` in the configuration.
public enum DeletedRecordsPolicy: String, Sendable, CaseIterable {
    /// Stop, saying which records are gone; everything committed stays as it was. The default:
    /// their outputs can never be produced, which someone should decide to accept.
    case stop
    /// Go on from the oldest record the log still holds, logging which records were skipped:
    /// their outputs are never produced, and the state lacks their effects.
    case skip
}
