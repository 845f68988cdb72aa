import KafkaClient

/// A record whose offset is below the partition's read position: the partition's log went
/// back under the processor.
///
/// Within one assignment Kafka hands a consumer each partition's records in rising offsets;
/// offsets only go back when the log itself did: the topic was deleted and created again (its
/// offsets start at 0 again) or an unclean leader election cut the log short. Processing on would
/// fold records into the state a second time and produce their outputs again under offsets that
/// committed outputs already name, so the processor stops instead; the open transaction is
/// aborted and what Kafka committed stays as it was. Found by deleting and re-creating a source
/// topic under a running processor: librdkafka logged "offset reset (at offset 50000) to
/// BEGINNING" and the processor went on from offset 0 with the old state. (The consumer now
/// runs with `auto.offset.reset` `error`, so a position the new log does not hold is reported
/// instead, ``PositionOutOfRange``; a log that grew past the position again still lands here.)
struct OffsetRegression: Sendable, Equatable {
    let partition: TopicPartition
    /// The offset the processor expected next (the last record read plus one, or where the
    /// partition was restored to).
    let expected: Int64
    /// The offset Kafka delivered.
    let delivered: Int64

    /// Whether a record at `offset` breaks the order, given the partition's read position.
    /// Offsets may skip ahead (transaction markers, compaction, retention); they never go back.
    @inline(__always)
    static func isRegression(_ offset: Int64, expected: Int64?) -> Bool {
        guard let expected else { return false }
        return offset < expected
    }

    /// What happened and what to do, for the processor's stop.
    func message(application: String?) -> String {
        return
            "\(partition): Kafka delivered offset \(delivered) where offset \(expected) or later was expected: "
            + "the partition's log went back (the topic was deleted and created again, or an unclean leader election "
            + "truncated it). Processing on would count "
            + "records twice, so the processor stops; the open transaction is aborted and everything committed stays as it was. "
            + Self.recreatedTopicAdvice(application: application)
    }

    /// What to do when a source topic was deleted and created again on purpose.
    static func recreatedTopicAdvice(application: String?) -> String {
        let group = application.map { "the consumer group `\($0)`'s" } ?? "the consumer group's"
        return "If the topic was re-created on purpose, its offsets no longer match this application's checkpoints: "
            + "start over under a new `application` id, or delete \(group) committed offsets "
            + "and this application's checkpoint directory first."
    }
}
