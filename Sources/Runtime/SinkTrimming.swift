import KafkaClient

/// Which sink partitions no longer hold all their records (a log start above 0: retention
/// shorter than the input's, or a DeleteRecords), and for which input partitions that matters:
/// a `--dry-run` must not call a replayed output a difference when the sink may have dropped
/// its committed twin.
///
/// An input partition's outputs are committed in input order (one owner at a time, each
/// transaction after the last), so a trimmed sink partition that still holds an output of
/// that input partition from *before* a range holds every output of the range that went to it:
/// they came after. That keeps a dry run of a recent checkpoint comparable over a sink with
/// ordinary retention. (A replay written into the same sink with `--allow-duplicate-output`
/// breaks the order.) Compaction keeps the log start at 0 and removes records anywhere: the
/// topic's `cleanup.policy` tells it, in ``compacted``.
///
/// A value: the audit tells it the log starts and each attributed record read, in sink order.
struct SinkTrimming: Sendable {
    /// The trimmed sink partitions and their log starts.
    private(set) var logStarts: [TopicPartition: Int64] = [:]
    /// Per trimmed sink partition, the source offset of the first output still held of each
    /// input partition (the lowest, by the order above).
    private var firstHeld: [TopicPartition: [TopicPartition: Int64]] = [:]
    /// Whether the sink's `cleanup.policy` includes `compact`.
    var compacted = false

    init() {}

    /// Starts from the sink partitions' log starts (those at 0 hold everything written to them).
    init(logStarts: [TopicPartition: Int64]) {
        self.logStarts = logStarts.filter { $0.value > 0 }
    }

    /// Notes an output of `source` read from `sinkPartition`.
    mutating func read(_ source: (partition: TopicPartition, offset: Int64), in sinkPartition: TopicPartition) {
        guard logStarts[sinkPartition] != nil, firstHeld[sinkPartition]?[source.partition] == nil else { return }
        firstHeld[sinkPartition, default: [:]][source.partition] = source.offset
    }

    /// The trimmed sink partitions, with their log starts, that may have held outputs of
    /// `partition` at or after offset `from`: those holding none of its outputs from before
    /// `from` (the outputs of `from` itself may have been split by the trimming).
    func mayHaveLost(outputsOf partition: TopicPartition, from: Int64) -> [TopicPartition: Int64] {
        logStarts.filter { sinkPartition, _ in
            guard let first = firstHeld[sinkPartition]?[partition] else { return true }
            return first >= from
        }
    }
}
