import CoreMetrics
import KafkaClient

#if canImport(Glibc)
import Glibc
#endif

/// What a ``Processor`` runs with: where Kafka is, who this instance is, what to read and
/// write, and how to checkpoint.
public struct ProcessorSettings: Sendable {
    /// The cluster and pass-through librdkafka properties.
    public var kafka: KafkaConfiguration
    /// The application id: the consumer group and the transactional id prefix.
    public var application: String
    /// This instance's stable id.
    public var instance: String
    /// The topics to consume.
    public var sourceTopics: [String]
    /// Where outputs go.
    public var sinkTopic: String
    /// Where dead letters go.
    public var deadLetterTopic: String
    /// Checkpoint trigger, timeout, pause and tolerance.
    public var checkpoint: CheckpointSettings
    /// Complete checkpoints to keep.
    public var retainedCheckpoints: Int
    /// The producer's `transaction.timeout.ms`.
    public var transactionTimeout: Duration
    /// How many bytes of outputs may wait for a commit before input stops.
    public var heldBackCapacityBytes: Int
    /// The crash switch for crash tests, if any.
    public var faultInjection: FaultInjection?
    /// For tests: the first lane waits this long at each checkpoint barrier (``SlowBarrier``).
    public var slowBarrier: SlowBarrier?
    /// For tests, off by default: called on the processing thread, with the partitions, just
    /// before it starts partitions again whose position was out of range
    /// (``KafkaConsumer/restart(_:betweenUnassignAndAssign:)``). It may block, without polling,
    /// so that a test can make the group rebalance meanwhile: librdkafka then holds a rebalance
    /// that no poll has served when the restart runs.
    public var beforeRestart: (@Sendable ([TopicPartition]) -> Void)?
    /// For tests, off by default: called within a restart, between taking the partitions out of
    /// the assignment and putting them back (``KafkaConsumer/restart(_:betweenUnassignAndAssign:)``);
    /// a test blocks in it until librdkafka has stopped the old fetcher, as it may on a busy
    /// machine before the assign arrives.
    public var withinRestart: (@Sendable () -> Void)?
    /// For tests, off by default: after a restart the loop takes no input for this long, as when
    /// its lanes are full. Polls the processor needs for its own sake still run (serving what a
    /// restart left in the consumer queue before a checkpoint's offsets are sent).
    public var holdInputAfterRestart: Duration?
    /// Join the group with a static identity (`group.instance.id` = the transactional id), so a
    /// restart takes this instance's place at once instead of waiting for the dead member's
    /// session to time out. On by default. (librdkafka before 2.3 aborts when a cooperative-sticky
    /// consumer is destroyed during its first rebalance, which a fenced static member can be;
    /// `KafkaClient` leaves such a handle to the process exit instead: librdkafka issue #4312.)
    public var staticMembership = true
    /// How many lanes process partitions in parallel (each a serial queue; a partition stays in
    /// one lane). Defaults to one fewer than the cores, at least 1 and at most 4: the Kafka side
    /// (the processing thread's polling and librdkafka's threads) takes about half of the
    /// process's CPU, and a lane that shares a core with it is preempted inside its checkpoint
    /// barrier (docs/RUNTIME.md, "How many lanes").
    public var processingLanes = ProcessorSettings.defaultProcessingLanes
    /// The default for ``processingLanes``.
    public static var defaultProcessingLanes: Int {
        defaultProcessingLanes(cores: sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    }
    /// The default for ``processingLanes`` on a machine with `cores` cores.
    public static func defaultProcessingLanes(cores: Int) -> Int {
        min(4, max(1, cores - 1))
    }
    /// Whether every output carries the ``SourceHeader`` (`exactly.source` =
    /// `<topic>/<partition>/<offset>` of its input): what makes outputs traceable and lets a
    /// `--dry-run` replay compare its outputs with committed ones. On by default. Off saves what a
    /// header costs librdkafka per record (allocations, and about 30 bytes on the wire and on
    /// disk per output): about 16% of the processor's CPU per record in the running-sum
    /// benchmark (docs/RUNTIME.md, "What a record costs").
    public var sourceHeader = true
    /// For benchmarks: finish with a checkpoint once this many records were processed.
    public var stopAfterRecords: Int?
    /// How often to log a progress line (records read and their rate, checkpoints committed,
    /// partitions assigned: ``ProgressLog``); `nil` logs none. `exactly run` logs one every 30 s.
    public var progressInterval: Duration?
    /// Where the processor's metrics go (records, checkpoints, stalls, commits, partitions);
    /// `nil` means swift-metrics' bootstrapped `MetricsSystem.factory` (a no-op until bootstrapped).
    public var metricsFactory: (any MetricsFactory)?
    /// Where the processor posts whether it is alive and ready (``HealthBoard``), for the
    /// health endpoints; `nil` posts nothing.
    public var health: HealthBoard?
    /// How long the consumer must have reported a source topic missing before the processor
    /// checks the cluster's topic list, and stops if the topic is not on it (``SourceTopicWatch``).
    public var missingSourceTopicGrace: Duration = .seconds(10)
    /// `source.on_deleted_records`: what happens when a source partition's log no longer holds
    /// the records from its position on (``PositionOutOfRange``).
    public var deletedRecords: DeletedRecordsPolicy = .stop
    /// `--replay-from-checkpoint`: each partition this checkpoint holds is restored from it
    /// (not from what the committed offsets name) when it is assigned, until a checkpoint of the
    /// replay commits it (``ReplayStart``); the run's checkpoints record that they descend from it.
    public var replayFrom: CheckpointID?
    /// What Kafka held committed for the replayed partitions when the replay was checked at
    /// start-up (a partition with nothing committed is absent): a partition whose committed
    /// offset moved since, other than by the replay, stops the processor (``ReplayStart``).
    public var replayCheckedOffsets: [TopicPartition: PartitionOffset] = [:]
    /// The partitions the replay's checkpoint holds (its manifest, read at start-up): one the
    /// store can no longer read when it is assigned stops the processor (``ReplayStart``).
    public var replayPartitions: Set<TopicPartition> = []
    /// The partitions the start-up checks found this replay had committed already: they resume
    /// from what it committed and are never replayed again, even if the manifest that says so
    /// cannot be read when they are assigned (``ReplayStart``).
    public var replayResumed: Set<TopicPartition> = []

    /// Settings for `application`/`instance` reading `sourceTopics` and writing `sinkTopic`.
    public init(
        kafka: KafkaConfiguration,
        application: String,
        instance: String,
        sourceTopics: [String],
        sinkTopic: String,
        deadLetterTopic: String? = nil,
        checkpoint: CheckpointSettings = CheckpointSettings(),
        retainedCheckpoints: Int = 3,
        transactionTimeout: Duration = .seconds(60),
        heldBackCapacityBytes: Int = 64 << 20,
        faultInjection: FaultInjection? = nil,
        stopAfterRecords: Int? = nil
    ) {
        self.stopAfterRecords = stopAfterRecords
        self.kafka = kafka
        self.application = application
        self.instance = instance
        self.sourceTopics = sourceTopics
        self.sinkTopic = sinkTopic
        self.deadLetterTopic = deadLetterTopic ?? "\(sinkTopic)-dead-letters"
        self.checkpoint = checkpoint
        self.retainedCheckpoints = retainedCheckpoints
        self.transactionTimeout = transactionTimeout
        self.heldBackCapacityBytes = heldBackCapacityBytes
        self.faultInjection = faultInjection
    }

    /// `<application>-<instance>`: the stable transactional id that fences this instance's zombies.
    public var transactionalID: String { "\(application)-\(instance)" }
}
