import KafkaClient

/// A source partition librdkafka stopped fetching because its log did not hold the position it
/// fetched from (the consumer runs with `auto.offset.reset` `error`), and what to do about it
/// once the log's range is known. A value: decided without I/O, tested directly.
///
/// The decision is made on the partition's own position, the offset of the next record its
/// lane expects (``expected``), not on the offset librdkafka reported: a fetch answered after
/// an abort's rollback seek, or a report left from the partition's previous assignment, name
/// an offset the processor no longer reads from (found by review).
///
/// Before 2026-11-26 the consumer ran with `auto.offset.reset` `earliest`, and librdkafka moved
/// such a partition to the oldest record still there without a word to the processor: a
/// processor restarted after retention had removed records it had not processed yet (or a
/// fallback to an older checkpoint whose replay range was gone) skipped them silently, and a
/// fallback replay rebuilt a state that lacked their effects.
struct PositionOutOfRange: Sendable, Equatable {
    let partition: TopicPartition
    /// The offset librdkafka could not fetch, or a logical one (`OFFSET_BEGINNING`,
    /// `OFFSET_END`) when it could not look up where the log starts or ends.
    let reported: Int64
    /// The offset of the next record the partition's lane expects, or a logical offset where
    /// it read nothing yet and started at one (a fresh start: the log's start).
    let expected: Int64

    /// How many times in ``restartWindow`` a partition may be started again at its own
    /// position (the log held it after all, or librdkafka could not look a logical one up)
    /// before the processor stops.
    static let restartsAtMost = 10
    static let restartWindow: Duration = .seconds(60)

    /// How many times the log's range is read, a second apart, before the processor gives up.
    static let rangeReadsAtMost = 30
    static let pauseBeforeRangeRead: Duration = .seconds(1)

    /// What the processor does.
    enum Decision: Sendable, Equatable {
        /// Stop, with this message.
        case stop(String)
        /// Start the partition at `offset` and go on, logging `warning`; `skipped` records
        /// are never read.
        case restart(at: Int64, skipped: Int64, warning: String)
    }

    /// The decision, given the log's range now (`start` its oldest record, `end` its high
    /// watermark), the policy, the end of a muted replay in progress (``PartitionRuntime/mutedUntil``)
    /// and how many times the partition was started again at its own position lately.
    func decide(
        logStart start: Int64, logEnd end: Int64, policy: DeletedRecordsPolicy, mutedUntil: Int64, recentRestarts: Int, application: String?
    ) -> Decision {
        let nothingLost = "The processor stops; everything committed stays as it was."
        if expected >= 0, expected < start {
            let gone = "\(partition): the records at offsets \(expected)..<\(start) are no longer in the log (it now starts at offset \(start)): "
                + "retention or a DeleteRecords removed them before this application processed them, so their outputs can never be produced."
            let rebuilding = expected < mutedUntil
                ? " The partition was being rebuilt from an older checkpoint, replaying up to offset \(mutedUntil) with the sink muted: without them its state lacks their effects."
                : ""
            switch policy {
            case .stop:
                return .stop(gone + rebuilding + " " + nothingLost
                    + " To go on without them, set `source.on_deleted_records: skip` (the state then lacks their effects). "
                    + "To keep records until they are processed, give the topic a retention (retention.ms, retention.bytes) longer than the application may lag or be down.")
            case .skip:
                return .restart(at: start, skipped: start - expected, warning: gone + rebuilding + " Going on from offset \(start), as `source.on_deleted_records: skip` allows.")
            }
        }
        if expected > end {
            return .stop("\(partition): the log ends at offset \(end), before this application's position \(expected): it lost records "
                + "it held (an unclean leader election cut it short, or the topic was deleted and created again). "
                + nothingLost + " " + OffsetRegression.recreatedTopicAdvice(application: application))
        }
        let what = reported >= 0
            ? "Kafka refused to fetch offset \(reported) as out of range"
            : reported == KafkaConsumer.logStartPosition || reported == KafkaConsumer.logEndPosition
                ? "librdkafka could not look up where the log \(reported == KafkaConsumer.logStartPosition ? "starts" : "ends")"
                : "librdkafka could not start the partition at \(Self.describe(reported))"
        guard recentRestarts < Self.restartsAtMost else {
            return .stop("\(partition): \(what), while the log's range it reports (\(start)..<\(end)) holds the partition's position "
                + "\(Self.describe(expected)) (\(recentRestarts + 1) times within \(Self.restartWindow)). " + nothingLost
                + " Check the partition's leader and its replicas.")
        }
        return .restart(at: expected, skipped: 0, warning: "\(partition): \(what), but the log now holds \(start)..<\(end) "
            + "(its leader may have changed meanwhile): reading from \(Self.describe(expected)) again")
    }

    /// "offset 42", or the place a logical offset names.
    static func describe(_ offset: Int64) -> String {
        switch offset {
        case KafkaConsumer.logStartPosition: "the log's start"
        case KafkaConsumer.logEndPosition: "the log's end"
        case let offset where offset < 0: "logical offset \(offset)"
        default: "offset \(offset)"
        }
    }
}

/// A partition's log range: the offset of its oldest record and its high watermark.
struct LogRange: Sendable, Equatable {
    let start: Int64
    let end: Int64
}
