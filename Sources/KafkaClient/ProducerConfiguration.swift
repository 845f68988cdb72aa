/// Settings of a ``KafkaProducer``.
///
/// By default the producer is idempotent and partitions keyed records with murmur2, as Java
/// clients do, so that a key lands in the same partition whichever client produced it.
public struct ProducerConfiguration: Sendable {
    /// How a partition is chosen for a record that does not name one.
    public enum Partitioner: String, Sendable {
        /// murmur2 of the key (Java's default); records without a key go to a random partition.
        case murmur2Random = "murmur2_random"
        /// murmur2 of the key; records without a key all go to one partition.
        case murmur2
        /// CRC32 of the key (librdkafka's own default), random for records without a key.
        case consistentRandom = "consistent_random"
    }

    /// The cluster and the pass-through properties.
    public var kafka: KafkaConfiguration
    /// `transactional.id`. Set it (stable across restarts) to use transactions; a new producer
    /// with the same id fences the old one.
    public var transactionalID: String?
    /// `transaction.timeout.ms`: the broker aborts a transaction left open longer than this.
    public var transactionTimeout: Duration
    /// `enable.idempotence` (implied by a transactional id).
    public var enableIdempotence: Bool
    /// `linger.ms`: how long to wait to fill a batch.
    public var linger: Duration
    /// `partitioner`.
    public var partitioner: Partitioner
    /// `queue.buffering.max.messages`: records waiting for delivery before `send` has to wait.
    /// Ten times librdkafka's default: at 500k records/s its 100,000 filled up now and then
    /// (a batch waiting on the broker), and each time the sender stood still for a delivery
    /// report (2M records: 73-149 waits; two lanes went from 446k to 518k records/s without them).
    public var queueMaxMessages: Int
    /// `queue.buffering.max.kbytes`: the other bound of that queue, in KiB (librdkafka's
    /// default is 1 GiB; a quarter of it holds a million records of up to 256 bytes).
    public var queueMaxKilobytes: Int
    /// Whether ``KafkaProducer/send(_:queueFullTimeout:)`` serves delivery reports as it goes
    /// (every 256 sends of a thread). Serving one runs its callback and frees the record's
    /// copy in librdkafka (the message, its headers), so it costs the sending thread; turn it off
    /// when another thread calls ``KafkaProducer/poll(timeout:)`` often enough instead (every
    /// few milliseconds: a report not yet served still counts towards `queueMaxMessages`).
    /// A send that finds the queue full serves reports while it waits either way.
    public var servesDeliveryReportsWhileSending: Bool

    /// Producer settings for `kafka`'s cluster.
    public init(
        kafka: KafkaConfiguration,
        transactionalID: String? = nil,
        transactionTimeout: Duration = .seconds(60),
        enableIdempotence: Bool = true,
        linger: Duration = .milliseconds(5),
        partitioner: Partitioner = .murmur2Random,
        queueMaxMessages: Int = 1_000_000,
        queueMaxKilobytes: Int = 262_144,
        servesDeliveryReportsWhileSending: Bool = true
    ) {
        self.servesDeliveryReportsWhileSending = servesDeliveryReportsWhileSending
        self.queueMaxMessages = queueMaxMessages
        self.queueMaxKilobytes = queueMaxKilobytes
        self.kafka = kafka
        self.transactionalID = transactionalID
        self.transactionTimeout = transactionTimeout
        self.enableIdempotence = enableIdempotence
        self.linger = linger
        self.partitioner = partitioner
    }

    /// Every librdkafka property of this producer, in the order they are applied.
    public var librdkafkaProperties: [(String, String)] {
        var specific: [(String, String)] = [
            ("enable.idempotence", enableIdempotence || transactionalID != nil ? "true" : "false"),
            ("linger.ms", String(linger.milliseconds)),
            ("partitioner", partitioner.rawValue),
            ("queue.buffering.max.messages", String(queueMaxMessages)),
            ("queue.buffering.max.kbytes", String(queueMaxKilobytes)),
        ]
        if let transactionalID {
            specific.append(("transactional.id", transactionalID))
            specific.append(("transaction.timeout.ms", String(transactionTimeout.milliseconds)))
        }
        return kafka.librdkafkaProperties(adding: specific)
    }
}
