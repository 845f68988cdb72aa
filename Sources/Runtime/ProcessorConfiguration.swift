import Checkpointing
import KafkaClient
import Yams

/// Everything `exactly run` needs, as declared in the pipeline file. Read once at start-up
/// (not `Sendable`: it keeps the `pipeline:` YAML node so that operator errors can name lines).
///
/// ```yaml
/// application: order-totals        # names the consumer group, the transactional id and the store
/// instance: "0"                    # stable per instance: <application>-<instance> is the transactional.id
/// kafka:
///   bootstrap: localhost:9092      # omit to use the embedded development broker
///   transaction_timeout: 60s
///   static_membership: true        # a restart takes this instance's place at once
///   properties:                    # passed to librdkafka (not those the runtime manages)
///     security.protocol: SASL_SSL
/// source:
///   topics: [orders]
///   on_deleted_records: stop       # or skip: records retention removed before they were processed
/// sink:
///   topic: order-totals
///   dead_letter_topic: orders-dead-letters
///   source_header: true            # outputs carry exactly.source (see ProcessorSettings.sourceHeader)
/// checkpoint:
///   dir: ./checkpoints
///   interval: 1s
///   timeout: 30s
///   min_pause: 0ms
///   tolerable_failures: 3
///   retained: 3
/// pipeline: [...]                  # the operators (see docs/PIPELINE.md)
/// ```
public struct ProcessorConfiguration {
    /// Names the consumer group, the transactional id prefix and the checkpoint directory.
    public var application: String
    /// This instance's stable identity; `<application>-<instance>` is its `transactional.id`.
    public var instance: String
    /// The brokers, or `nil` for the embedded development broker.
    public var bootstrapServers: [String]?
    /// The producer's `transaction.timeout.ms`.
    public var transactionTimeout: Duration
    /// librdkafka properties passed through (security and tuning).
    public var kafkaProperties: [String: String]
    /// `kafka.static_membership`: join with `group.instance.id` for instant restarts.
    public var staticMembership: Bool = true
    /// `processing.lanes`: how many partitions are processed in parallel; `nil` for
    /// ``ProcessorSettings/defaultProcessingLanes``.
    public var processingLanes: Int?
    /// The topics to consume.
    public var sourceTopics: [String]
    /// `source.on_deleted_records`: stop (the default) or skip when records were deleted from
    /// a source log before they were processed.
    public var deletedRecords: DeletedRecordsPolicy = .stop
    /// The topic outputs are written to.
    public var sinkTopic: String
    /// Where records that cannot be processed go, when configured.
    public var deadLetterTopic: String?
    /// `sink.source_header`: whether outputs carry `exactly.source` (``ProcessorSettings/sourceHeader``).
    public var sourceHeader = true
    /// The checkpoint store's directory.
    public var checkpointDirectory: String
    /// Trigger, timeout, pause and failure tolerance of checkpoints.
    public var checkpoint: CheckpointSettings
    /// How many complete checkpoints to keep (plus any a committed offset still names).
    public var retainedCheckpoints: Int
    /// The `pipeline:` section, for the operators' parser.
    public var pipeline: Node?

    /// The `transactional.id` of this instance.
    public var transactionalID: String { "\(application)-\(instance)" }

    /// Refuses settings under which a transaction could time out before its checkpoint does:
    /// the broker would abort it while the processor still believes it may commit. And a
    /// checkpoint timeout as long as the checkpoint store's orphan grace period: instances
    /// sharing a checkpoint directory take state files older than that which no manifest names
    /// for leftovers of a crash, so a checkpoint still being written then could lose a file.
    /// And `kafka.properties` that would replace a setting the runtime manages
    /// (``ManagedKafkaProperties``).
    public func validate(file: String? = nil) throws(ConfigurationError) {
        if let refused = ManagedKafkaProperties.firstRefused(in: kafkaProperties) {
            throw ConfigurationError(file: file, key: "kafka.properties.\(refused.name)", value: refused.value, allowed: refused.refusal)
        }
        let grace = Duration.seconds(CheckpointStoreConfiguration.defaultOrphanGracePeriod)
        if checkpoint.timeout >= grace {
            throw ConfigurationError(
                file: file,
                key: "checkpoint.timeout",
                value: "\(checkpoint.timeout.milliseconds)ms",
                allowed: "it must be under \(grace.milliseconds)ms: instances sharing a checkpoint directory remove state files "
                    + "older than that which no checkpoint names (leftovers of a crash), which a checkpoint still being written could be"
            )
        }
        // A transaction is open from one commit to the next: the interval, or the minimum pause
        // when that is longer (the next epoch then runs at least that long), plus the checkpoint
        // itself. Checked against the interval alone, a longer min_pause passed and every epoch
        // with input outlived the broker's timeout (fenced at its first commit, at every start).
        let open = max(checkpoint.interval, checkpoint.minimumPause)
        let needed = open + checkpoint.timeout
        if transactionTimeout <= needed {
            let longest = checkpoint.minimumPause > checkpoint.interval
                ? "checkpoint.min_pause (\(checkpoint.minimumPause.milliseconds)ms, longer than checkpoint.interval: each transaction stays open at least that long)"
                : "checkpoint.interval (\(checkpoint.interval.milliseconds)ms)"
            throw ConfigurationError(
                file: file,
                key: "kafka.transaction_timeout",
                value: "\(transactionTimeout.milliseconds)ms",
                allowed: "it must be larger than \(longest) + "
                    + "checkpoint.timeout (\(checkpoint.timeout.milliseconds)ms) = \(needed.milliseconds)ms; "
                    + "raise it (the broker's transaction.max.timeout.ms must allow it) or lower those"
            )
        }
    }
}

extension Duration {
    /// The duration in whole milliseconds.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    /// The duration in whole nanoseconds.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
