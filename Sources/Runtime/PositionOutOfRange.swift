import KafkaClient

/// A source partition librdkafka stopped fetching because its log no longer holds the
/// partition's position (the consumer runs with `auto.offset.reset` `error`), and what to do
/// about it once the log's range is known. A value: decided without I/O, tested directly.
///
/// Before 2026-11-26 the consumer ran with `auto.offset.reset` `earliest`, and librdkafka moved
/// such a partition to the oldest record still there without a word to the processor: a
/// processor restarted after retention had removed records it had not processed yet (or a
/// fallback to an older checkpoint whose replay range was gone) skipped them silently, and a
/// fallback replay rebuilt a state that lacked their effects.
struct PositionOutOfRange: Sendable, Equatable {
    let partition: TopicPartition
    /// The offset librdkafka could not fetch: the partition's next record to process.
    let position: Int64

    /// How many times a partition's position may be reported out of range while the log, read
    /// right after, holds it, before the processor stops.
    static let seeksAgainAtMost = 3

    /// How many times the log's range is read, a second apart, before the processor gives up.
    static let rangeReadsAtMost = 30
    static let pauseBeforeRangeRead: Duration = .seconds(1)

    /// What the processor does.
    enum Decision: Sendable, Equatable {
        /// Stop, with this message.
        case stop(String)
        /// Seek the partition to `offset` and go on, logging `warning`.
        case seek(to: Int64, warning: String)
    }

    /// The decision, given the log's range now (`start` its oldest record, `end` its high
    /// watermark), the policy, the end of a muted replay in progress (``PartitionRuntime/mutedUntil``)
    /// and how many times the log held the position when it was reported out of range before.
    func decide(
        logStart start: Int64, logEnd end: Int64, policy: DeletedRecordsPolicy, mutedUntil: Int64, seeksAgain: Int, application: String?
    ) -> Decision {
        let nothingLost = "The processor stops; everything committed stays as it was."
        if position < start {
            let gone = "\(partition): the records at offsets \(position)..<\(start) are no longer in the log (it now starts at offset \(start)): "
                + "retention or a DeleteRecords removed them before this application processed them, so their outputs can never be produced."
            let rebuilding = position < mutedUntil
                ? " The partition was being rebuilt from an older checkpoint, replaying up to offset \(mutedUntil) with the sink muted: without them its state lacks their effects."
                : ""
            switch policy {
            case .stop:
                return .stop(gone + rebuilding + " " + nothingLost
                    + " To go on without them, set `source.on_deleted_records: skip` (the state then lacks their effects). "
                    + "To keep records until they are processed, give the topic a retention (retention.ms, retention.bytes) longer than the application may lag or be down.")
            case .skip:
                return .seek(to: start, warning: gone + rebuilding + " Going on from offset \(start), as `source.on_deleted_records: skip` allows.")
            }
        }
        if position > end {
            return .stop("\(partition): the log ends at offset \(end), before this application's position \(position): it lost records "
                + "it held (an unclean leader election cut it short, or the topic was deleted and created again). "
                + nothingLost + " " + OffsetRegression.recreatedTopicAdvice(application: application))
        }
        guard seeksAgain < Self.seeksAgainAtMost else {
            return .stop("\(partition): Kafka keeps refusing to fetch offset \(position) as out of range, while the log's range it reports "
                + "(\(start)..<\(end)) holds it (\(seeksAgain + 1) times). " + nothingLost + " Check the partition's leader and its replicas.")
        }
        return .seek(to: position, warning: "\(partition): Kafka refused to fetch offset \(position) as out of range, but the log now holds "
            + "\(start)..<\(end) (its leader may have changed meanwhile): reading from offset \(position) again")
    }
}

/// A partition's log range: the offset of its oldest record and its high watermark.
struct LogRange: Sendable, Equatable {
    let start: Int64
    let end: Int64
}
