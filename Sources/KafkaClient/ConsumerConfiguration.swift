/// Settings of a ``KafkaConsumer``.
///
/// The defaults are the ones an exactly-once processor needs: read only committed data, never
/// commit offsets automatically (they are committed inside the producer's transaction), and
/// rebalance cooperatively so that only moved partitions stop.
public struct ConsumerConfiguration: Sendable {
    /// Which records a consumer reads from a partition with transactional writes.
    public enum IsolationLevel: String, Sendable {
        /// Only records of committed transactions (and non-transactional records).
        case readCommitted = "read_committed"
        /// Every record, including those of open and aborted transactions.
        case readUncommitted = "read_uncommitted"
    }

    /// Where a consumer starts in a partition that has no committed offset.
    public enum OffsetReset: String, Sendable {
        /// The oldest record still in the log.
        case earliest
        /// The end of the log: only records produced from now on.
        case latest
        /// Fail with an error instead of guessing.
        case error
    }

    /// How the group's partitions are divided.
    public enum AssignmentStrategy: String, Sendable {
        /// Incremental (cooperative) rebalancing: only the partitions that move are revoked.
        case cooperativeSticky = "cooperative-sticky"
        /// Eager rebalancing with the range assignor: every partition is revoked, then reassigned.
        case range
        /// Eager rebalancing with the round-robin assignor.
        case roundRobin = "roundrobin"
    }

    /// The cluster and the pass-through properties.
    public var kafka: KafkaConfiguration
    /// `group.id`: consumers with the same id share the topics' partitions.
    public var groupID: String
    /// `isolation.level`.
    public var isolationLevel: IsolationLevel
    /// `auto.offset.reset`.
    public var offsetReset: OffsetReset
    /// `partition.assignment.strategy`.
    public var assignmentStrategy: AssignmentStrategy
    /// `session.timeout.ms`: how long the group waits for a silent member before reassigning.
    public var sessionTimeout: Duration
    /// `enable.auto.commit`. Off by default: an exactly-once processor commits its offsets in
    /// the transaction.
    public var enableAutoCommit: Bool
    /// `enable.auto.offset.store`. Off by default, for the same reason.
    public var enableAutoOffsetStore: Bool
    /// `group.instance.id`: a static identity in the group (KIP-345). A restarted consumer with
    /// the same id takes its predecessor's place at once instead of the group waiting for the
    /// predecessor's session to time out; the predecessor, if still alive, is fenced. A static
    /// member does not leave the group when it closes.
    public var groupInstanceID: String?
    /// `queued.min.messages`: librdkafka fetches ahead until this many records wait in the
    /// consumer's queue (all partitions together).
    ///
    /// Far above librdkafka's default (100,000) on purpose: once the queue crosses the
    /// threshold, librdkafka before 2.1 looks at it again only when its broker thread next
    /// wakes, up to a second later, and the consumer starves meanwhile. At 100,000 that halved
    /// the processor's throughput (it waited on an empty queue 40% of the time); the queue must
    /// hold more than a second of processing. (librdkafka 2.1 added `fetch.queue.backoff.ms`
    /// for the same wait; set it through the pass-through properties there.)
    public var queuedMinMessages: Int
    /// `queued.max.messages.kbytes`: the other bound of the fetch-ahead queue, in KiB.
    /// Twice librdkafka's default (64 MiB), for the reason given at ``queuedMinMessages``.
    public var queuedMaxKilobytes: Int
    /// How often, at most, the consumer wakes librdkafka's fetcher while its queue holds less
    /// than half of `queued.min.messages` (``FetchWakeup``: a full queue otherwise stops
    /// fetching for up to a second). At least 1 ms (the consumer refuses less); `nil` turns the
    /// wake-ups off.
    public var fetchWakeupInterval: Duration?

    /// Consumer settings for `groupID` on `kafka`'s cluster.
    public init(
        kafka: KafkaConfiguration,
        groupID: String,
        isolationLevel: IsolationLevel = .readCommitted,
        offsetReset: OffsetReset = .earliest,
        assignmentStrategy: AssignmentStrategy = .cooperativeSticky,
        sessionTimeout: Duration = .seconds(10),
        enableAutoCommit: Bool = false,
        enableAutoOffsetStore: Bool = false,
        groupInstanceID: String? = nil,
        queuedMinMessages: Int = 500_000,
        queuedMaxKilobytes: Int = 131_072,
        fetchWakeupInterval: Duration? = .milliseconds(50)
    ) {
        self.fetchWakeupInterval = fetchWakeupInterval
        self.groupInstanceID = groupInstanceID
        self.queuedMinMessages = queuedMinMessages
        self.queuedMaxKilobytes = queuedMaxKilobytes
        self.kafka = kafka
        self.groupID = groupID
        self.isolationLevel = isolationLevel
        self.offsetReset = offsetReset
        self.assignmentStrategy = assignmentStrategy
        self.sessionTimeout = sessionTimeout
        self.enableAutoCommit = enableAutoCommit
        self.enableAutoOffsetStore = enableAutoOffsetStore
    }

    /// Every librdkafka property of this consumer, in the order they are applied.
    public var librdkafkaProperties: [(String, String)] {
        kafka.librdkafkaProperties(adding: (groupInstanceID.map { [("group.instance.id", $0)] } ?? []) + [
            ("group.id", groupID),
            ("isolation.level", isolationLevel.rawValue),
            ("auto.offset.reset", offsetReset.rawValue),
            ("partition.assignment.strategy", assignmentStrategy.rawValue),
            ("session.timeout.ms", String(sessionTimeout.milliseconds)),
            ("enable.auto.commit", enableAutoCommit ? "true" : "false"),
            ("enable.auto.offset.store", enableAutoOffsetStore ? "true" : "false"),
            ("enable.partition.eof", "false"),
            ("queued.min.messages", String(queuedMinMessages)),
            ("queued.max.messages.kbytes", String(queuedMaxKilobytes)),
        ])
    }
}
