import KafkaClient

/// Which sink partitions no longer hold all their records (a log start above 0: retention
/// shorter than the input's, or a DeleteRecords), and whether that matters for the replayed
/// ranges: a `--dry-run` must not call a replayed output a difference when the sink may have
/// dropped its committed twin.
///
/// Every replayed range starts at the checkpoint's offset of its input partition, and its
/// committed outputs were produced after the checkpoint's transaction committed (each epoch's
/// outputs after the one before it), while an output of any input partition below the
/// checkpoint's offset was committed no later than it. Trimming removes a prefix of a sink
/// partition's log, so a trimmed sink partition that still holds one such older output, of any
/// input partition, holds every output of the ranges that went to it. That keeps a dry run of a
/// recent checkpoint comparable over a sink with ordinary retention, also in sink partitions
/// that got no output of some input partition (few keys, more sink partitions than keys). (A
/// replay written into the same sink with `--allow-duplicate-output` breaks the order.)
/// Compaction keeps the log start at 0 and removes records anywhere: the topic's
/// `cleanup.policy` tells it, in ``compacted``.
///
/// A value: the audit tells it the log starts and each attributed record read.
struct SinkTrimming: Sendable {
    /// The trimmed sink partitions and their log starts.
    private(set) var logStarts: [TopicPartition: Int64] = [:]
    /// The checkpoint's offset of each replayed input partition.
    private var checkpointOffsets: [TopicPartition: Int64] = [:]
    /// The trimmed sink partitions found holding an output committed no later than the checkpoint.
    private var holdingOlderOutputs: Set<TopicPartition> = []
    /// Whether the sink's `cleanup.policy` includes `compact`.
    var compacted = false

    init() {}

    /// Starts from the sink partitions' log starts (those at 0 hold everything written to them)
    /// and the checkpoint's offsets of the replayed input partitions.
    init(logStarts: [TopicPartition: Int64], checkpointOffsets: [TopicPartition: Int64]) {
        self.logStarts = logStarts.filter { $0.value > 0 }
        self.checkpointOffsets = checkpointOffsets
    }

    /// Notes an output of `source` read from `sinkPartition`.
    mutating func read(_ source: (partition: TopicPartition, offset: Int64), in sinkPartition: TopicPartition) {
        guard logStarts[sinkPartition] != nil, let checkpoint = checkpointOffsets[source.partition], source.offset < checkpoint else { return }
        holdingOlderOutputs.insert(sinkPartition)
    }

    /// The trimmed sink partitions, with their log starts, that may have held outputs of the
    /// replayed ranges: those holding no output committed no later than the checkpoint.
    var mayHaveLost: [TopicPartition: Int64] {
        logStarts.filter { !holdingOlderOutputs.contains($0.key) }
    }
}
