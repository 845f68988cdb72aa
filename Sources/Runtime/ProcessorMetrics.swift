import CoreMetrics

/// What a running processor reports through swift-metrics: counts as they happen, for a
/// metrics endpoint (`exactly run --metrics-port`). With no metrics backend bootstrapped, every
/// report is a no-op.
///
/// Records are counted per batch (a poll's records, a lane's run of one partition's records),
/// not per record: a metrics update takes a lock or an atomic in most backends.
struct ProcessorMetrics: Sendable {
    let recordsProcessed: Counter
    let recordsProduced: Counter
    let checkpointsCommitted: Counter
    let checkpointsAborted: Counter
    let rebalancesDuringCommit: Counter
    let rebalancesDuringCapture: Counter
    /// Revocations handled as lost because a restart of stopped partitions may have answered
    /// them (``ProcessorStatistics/revocationsAbortedAfterRestart``).
    let revocationsAbortedAfterRestart: Counter
    /// Source records the log no longer held when they were to be read, skipped as
    /// `source.on_deleted_records: skip` allows (``PositionOutOfRange``).
    let sourceRecordsSkipped: Counter
    let stall: CoreMetrics.Timer
    let commit: CoreMetrics.Timer
    let assignedPartitions: Gauge
    /// Partitions assigned but held paused until their committed offsets can be read
    /// (``CommittedOffsetsWait``).
    let partitionsAwaitingOffsets: Gauge

    /// Metrics labelled with the application and instance, made by `factory`.
    init(application: String, instance: String, factory: any MetricsFactory) {
        let dimensions = [("application", application), ("instance", instance)]
        recordsProcessed = Counter(label: "exactly_records_processed_total", dimensions: dimensions, factory: factory)
        recordsProduced = Counter(label: "exactly_records_produced_total", dimensions: dimensions, factory: factory)
        checkpointsCommitted = Counter(label: "exactly_checkpoints_committed_total", dimensions: dimensions, factory: factory)
        checkpointsAborted = Counter(label: "exactly_checkpoints_aborted_total", dimensions: dimensions, factory: factory)
        rebalancesDuringCommit = Counter(label: "exactly_rebalances_during_commit_total", dimensions: dimensions, factory: factory)
        rebalancesDuringCapture = Counter(label: "exactly_rebalances_during_capture_total", dimensions: dimensions, factory: factory)
        revocationsAbortedAfterRestart = Counter(label: "exactly_revocations_aborted_after_restart_total", dimensions: dimensions, factory: factory)
        sourceRecordsSkipped = Counter(label: "exactly_source_records_skipped_total", dimensions: dimensions, factory: factory)
        stall = CoreMetrics.Timer(label: "exactly_checkpoint_stall_seconds", dimensions: dimensions, preferredDisplayUnit: .seconds, factory: factory)
        commit = CoreMetrics.Timer(label: "exactly_commit_seconds", dimensions: dimensions, preferredDisplayUnit: .seconds, factory: factory)
        assignedPartitions = Gauge(label: "exactly_assigned_partitions", dimensions: dimensions, factory: factory)
        partitionsAwaitingOffsets = Gauge(label: "exactly_partitions_awaiting_offsets", dimensions: dimensions, factory: factory)
    }
}

extension CoreMetrics.Timer {
    /// Records a Swift `Duration`.
    func record(_ duration: Duration) {
        recordNanoseconds(duration.nanoseconds)
    }
}
