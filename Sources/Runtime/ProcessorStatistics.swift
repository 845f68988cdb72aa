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
    /// Rebalances that came while a commit was in flight: each waited for the commit's outcome
    /// before deciding what to commit or abort for the partitions that moved.
    public var rebalancesDuringCommit = 0
    /// Rebalance events (assignments, revocations, lost partitions) that came while a capture
    /// was pending (some lane had not reached its barrier yet): a revocation then needs the
    /// checkpoint under way and, unless that one was forced itself, one more, since records
    /// behind the barrier were processed meanwhile.
    public var rebalancesDuringCapture = 0
    /// Revocations served after a restart of stopped partitions that librdkafka may have taken
    /// as their answer: each aborted the open epoch instead of committing it (the member may
    /// already have rejoined without the partitions).
    public var revocationsAbortedAfterRestart = 0
    /// The most records any lane had waiting right after a handover. Backpressure keeps it at
    /// most ``laneBacklogBound``: the processing thread polls only while every lane has room.
    public var maxLaneBacklog = 0
    /// The most records a lane may have waiting: its backlog limit, plus one poll's records
    /// (room is asked before the poll).
    public static var laneBacklogBound: Int { ProcessingLane.backlogLimit + Processor.recordsPerPoll }
    /// Per checkpoint, how long processing stood still for it: the longest any lane spent on
    /// the capture's barrier (stopping sends and capturing its partitions). The records handed
    /// over after the barrier wait behind it, and the offsets, the snapshot's write and the
    /// commit run in the background while the lanes go on.
    public var stalls: [Duration] = []
    /// Per checkpoint, the most CPU time a lane spent on the barrier: the stall less the time
    /// the lane's thread waited for a CPU meanwhile. On a machine with more runnable threads than
    /// cores, the scheduler takes a thread's CPU every few milliseconds, barrier or not; this
    /// is the part of the stall the checkpoint itself costs.
    public var stallsOnCPU: [Duration] = []
    /// Per checkpoint, the commit call's round trip (EndTxn), from issue to outcome; processing
    /// goes on meanwhile, its outputs held for the next transaction.
    public var commits: [Duration] = []
    /// Per checkpoint, from queueing the capture's barriers to the processing thread holding
    /// every lane's capture: under load mostly the lanes finishing the records handed over
    /// before the barrier (during which they do not stand still), plus up to a millisecond for
    /// the processing thread to notice the last report.
    public var captures: [Duration] = []
    /// From the start of ``Processor/run()`` to the first record sent (recovery included).
    public var firstOutputAfter: Duration?
    /// From the start of ``Processor/run()`` to its end.
    public var runningTime: Duration = .zero
    /// CPU time the whole process used during ``Processor/run()``: every thread (the processing
    /// thread, the lanes, the store, librdkafka's threads, and an embedded development broker
    /// when there is one). Per record it is the cost that decides throughput on a busy
    /// machine, and it is far less noisy than wall-clock rates on a shared one.
    public var processCPUTime: Duration = .zero

    /// The stall below which `fraction` of the checkpoints stayed (0.5 for the median).
    public func stall(percentile fraction: Double) -> Duration? {
        Self.percentile(fraction, of: stalls)
    }

    /// The CPU time spent on the barrier below which `fraction` of the checkpoints stayed.
    public func stallOnCPU(percentile fraction: Double) -> Duration? {
        Self.percentile(fraction, of: stallsOnCPU)
    }

    /// The commit round trip below which `fraction` of the checkpoints stayed.
    public func commit(percentile fraction: Double) -> Duration? {
        Self.percentile(fraction, of: commits)
    }

    /// The capture time below which `fraction` of the checkpoints stayed.
    public func capture(percentile fraction: Double) -> Duration? {
        Self.percentile(fraction, of: captures)
    }

    private static func percentile(_ fraction: Double, of values: [Duration]) -> Duration? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let index = min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.up)) - 1)
        return sorted[max(0, index)]
    }
}
