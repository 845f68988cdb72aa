import KafkaClient

/// Partitions whose seek librdkafka refused because their fetchers had not started yet (or
/// were still stopping): restored after waiting for their committed offsets (they stay
/// paused), or rolled back by an abort. The processor seeks them again shortly, then resumes
/// them. This value keeps where each is to start and says when to seek again and when to give
/// up; the processor does the seeking (tested without I/O).
///
/// Why a seek is refused: librdkafka moves a partition's read position only once its fetcher
/// has started (`__STATE` before, `__PREV_IN_PROGRESS` while it stops). An incremental
/// assignment starts its partitions only after the partitions revoked before it have stopped,
/// so a partition whose offsets were read in the background (``CommittedOffsetsWait``) within
/// a round trip of such an assignment can be there yet not be started. Stopping the processor
/// for that, as it once did, would have been needless: nothing was processed or lost, and a
/// moment later the same seek succeeds.
struct SeeksAwaitingFetchers {
    /// What to do after librdkafka refused a seek: seek again when ``due(at:)`` says (logging
    /// the line at the first refusal, so that a log shows why the partitions wait), or stop.
    typealias Decision = CommittedOffsetsWait.Decision

    /// How long after a refusal to seek again.
    static let retryAfter: Duration = .milliseconds(20)
    /// How long the fetchers may stay unstarted before the processor stops: far longer than
    /// any stop of a revoked partition takes, which is a broker thread's round trip.
    static let giveUpAfter: Duration = .seconds(60)

    /// Where each waiting partition starts (an absolute offset, or the reset position).
    private var startOffsets: [TopicPartition: Int64] = [:]
    /// When each partition's seek was first refused since it was last sought: its wait, which
    /// the give-up and the log line count per partition (a partition that joins a wait others
    /// began is neither given up early nor left unsaid).
    private var refusedSince: [TopicPartition: ContinuousClock.Instant] = [:]
    /// When to seek the waiting partitions again.
    private var nextTry: ContinuousClock.Instant?

    var isEmpty: Bool { startOffsets.isEmpty }

    /// Whether `partition` waits to be sought (its seek to come is to where it starts).
    func isWaiting(_ partition: TopicPartition) -> Bool { startOffsets[partition] != nil }

    /// librdkafka refused to seek `seeks` with `error`: they wait, and the decision says
    /// whether to seek again or to stop.
    mutating func refused(_ seeks: [PartitionOffset], error: String, at now: ContinuousClock.Instant) -> Decision {
        var newlyRefused: [TopicPartition] = []
        for seek in seeks {
            startOffsets[seek.topicPartition] = seek.offset
            if refusedSince[seek.topicPartition] == nil {
                refusedSince[seek.topicPartition] = now
                newlyRefused.append(seek.topicPartition)
            }
        }
        let overdue = refusedSince.filter { startOffsets[$0.key] != nil && now - $0.value >= Self.giveUpAfter }
        if let longest = overdue.values.min() {
            return .giveUp("librdkafka has refused for \(ProcessorHealth.seconds(now - longest)) to move the read position of "
                + "\(CommittedOffsetsWait.list(Array(overdue.keys))) (\(error)): their fetchers neither started nor stopped. "
                + "They were held paused, so nothing of them was processed past their last checkpoint; everything committed stays as it was, and a restart assigns them afresh")
        }
        nextTry = now + Self.retryAfter
        return .retry(log: newlyRefused.isEmpty
            ? nil
            : "\(CommittedOffsetsWait.list(newlyRefused)): librdkafka cannot move their read position yet, their fetchers starting or stopping (\(error)); they are paused and sought again in a moment")
    }

    /// The seeks due at `now`: every waiting partition, once its next try has come. They wait
    /// no more unless librdkafka refuses them again (``refused(_:error:at:)``).
    mutating func due(at now: ContinuousClock.Instant) -> [PartitionOffset] {
        guard let nextTry, now >= nextTry else { return [] }
        self.nextTry = nil
        let seeks = startOffsets.sorted { $0.key < $1.key }.map { PartitionOffset($0.key, offset: $0.value) }
        startOffsets = [:]
        return seeks
    }

    /// librdkafka took the seeks of `partitions`: their wait is over, and a later refusal starts
    /// a new one.
    mutating func sought(_ partitions: [TopicPartition]) {
        for partition in partitions { refusedSince[partition] = nil }
    }

    /// `partitions` were revoked (or started another way): those among them that waited wait
    /// no more.
    mutating func revoked(_ partitions: [TopicPartition]) {
        for partition in partitions {
            startOffsets.removeValue(forKey: partition)
            refusedSince.removeValue(forKey: partition)
        }
        if startOffsets.isEmpty { nextTry = nil }
    }
}
