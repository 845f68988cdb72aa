/// What a processor did, for logs, benchmarks and tests.
public struct ProcessorStatistics: Sendable {
    /// Input records processed (muted replays included).
    public var recordsProcessed = 0
    /// Records sent to the sink and dead-letter topics (muted outputs excluded).
    public var recordsProduced = 0
    /// Checkpoints that committed.
    public var checkpointsCompleted = 0
    /// Checkpoints that were aborted.
    public var checkpointsAborted = 0
    /// Per checkpoint, how long processing stood still for it: capture plus the commit call.
    public var stalls: [Duration] = []
}
