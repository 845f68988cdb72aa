/// Thrown by ``PartitionProcessor`` when the pipeline's ``ErrorPolicy`` is `.stop` and a record
/// fails: it names the record's source, the operator and the reason, and says what to do.
public struct PipelineStoppedError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The source topic of the failing record.
    public var topic: String
    /// The source partition.
    public var partition: Int32
    /// The source offset (-1 for a result fired by a watermark the runtime advanced).
    public var offset: Int64
    /// The operator that failed, e.g. "operators[1] aggregate (line 9)".
    public var operatorName: String
    /// What went wrong.
    public var reason: RecordError

    /// The error for this record and reason.
    public init(topic: String, partition: Int32, offset: Int64, operatorName: String, reason: RecordError) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.operatorName = operatorName
        self.reason = reason
    }

    public var description: String {
        "pipeline stopped at \(topic)-\(partition) offset \(offset) in \(operatorName): \(reason.message) "
            + "[\(reason.code)]; fix the record or the pipeline, or set on_error: dead_letter to route such records "
            + "to the dead-letter topic"
    }
}
