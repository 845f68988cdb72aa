import CRdKafka

/// What a consumer's errors have said since the caller last asked, and which of them to log.
///
/// librdkafka repeats a partition's error for as long as it lasts: a deleted source topic gives
/// "topic does not exist" per partition about once a second. Each kind (error code) is logged
/// the first time and then at most once per ``logInterval``, with how many were left unlogged;
/// the reports that a subscribed topic is missing are counted for ``KafkaConsumer/takeMissingTopicReports()``.
struct ConsumerErrorLedger: Sendable {
    /// At most one log line per error code in this long.
    static let logInterval: Duration = .seconds(60)

    private var lastLogged: [Int32: ContinuousClock.Instant] = [:]
    private var unlogged: [Int32: Int] = [:]
    private var missingTopic: MissingTopicReports?
    private var positionsOutOfRange: [TopicPartition: Int64] = [:]

    /// Notes an error with librdkafka's `code` and `text`; returns the line to log, if one is due.
    mutating func record(code: Int32, text: String, at now: ContinuousClock.Instant) -> String? {
        if Self.meansMissingTopic(code) {
            missingTopic = MissingTopicReports(count: (missingTopic?.count ?? 0) + 1, first: missingTopic?.first ?? text)
        }
        if let last = lastLogged[code], now - last < Self.logInterval {
            unlogged[code, default: 0] += 1
            return nil
        }
        lastLogged[code] = now
        let name = String(cString: rd_kafka_err2name(rd_kafka_resp_err_t(rawValue: code)))
        var line = "consumer error: \(text) [\(name)]"
        if let skipped = unlogged.removeValue(forKey: code) {
            line += " (\(skipped) more like it since this was last logged)"
        } else {
            line += " (repeats within \(Self.logInterval) are counted, not logged)"
        }
        return line
    }

    /// Notes that librdkafka could not fetch `partition` at `offset`, the log no longer holding
    /// it, and stopped fetching the partition (`auto.offset.reset` is `error`).
    mutating func positionOutOfRange(_ partition: TopicPartition, offset: Int64) {
        positionsOutOfRange[partition] = offset
    }

    /// The positions out of range since the last call (the latest per partition), and forgets them.
    mutating func takePositionsOutOfRange() -> [TopicPartition: Int64] {
        defer { positionsOutOfRange = [:] }
        return positionsOutOfRange
    }

    /// Forgets the positions out of range reported for `partitions` (from an assignment of
    /// theirs that ended).
    mutating func forgetPositionsOutOfRange(_ partitions: [TopicPartition]) {
        for partition in partitions { positionsOutOfRange[partition] = nil }
    }

    /// The missing-topic reports since the last call, and forgets them.
    mutating func takeMissingTopicReports() -> MissingTopicReports? {
        defer { missingTopic = nil }
        return missingTopic
    }

    /// Whether librdkafka's `code` says a topic or partition the consumer asked for is not in the
    /// cluster's metadata (deleted, never created, or not visible to this client).
    static func meansMissingTopic(_ code: Int32) -> Bool {
        let codes: [rd_kafka_resp_err_t] = [
            RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC,
            RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION, RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
        ]
        return codes.contains { $0.rawValue == code }
    }
}

/// Reports from a consumer that a topic or partition it reads is missing from the cluster.
public struct MissingTopicReports: Sendable, Equatable {
    /// How many arrived (librdkafka sends one per partition, repeatedly).
    public let count: Int
    /// The first one's text, as librdkafka wrote it (`orders [0]: topic does not exist ...`).
    public let first: String
}
