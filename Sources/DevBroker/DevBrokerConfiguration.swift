/// How a `DevBroker` listens and keeps its data.
public struct DevBrokerConfiguration: Sendable {
    /// The address to bind; also the host the broker advertises in Metadata.
    public var host: String
    /// The port to bind; 0 picks a free ephemeral port (read it back from `DevBroker.port`).
    public var port: Int
    /// Where partitions and group, producer and transaction state are kept; nil keeps all in memory.
    /// One broker at a time: it is locked from the start until `DevBroker.stop()`, and a second
    /// broker on it is refused (`DevBrokerError.Code.dataDirectoryInUse`).
    public var dataDirectory: String?
    /// Partitions of a topic created on first use or by CreateTopics with -1 partitions.
    public var defaultPartitions: Int
    /// Whether Metadata and Produce create unknown topics (Kafka's `auto.create.topics.enable`).
    public var autoCreateTopics: Bool
    /// Event-loop threads serving connections.
    public var threads: Int
    /// How long a new (empty) group waits for more members before its first rebalance
    /// completes (Kafka's `group.initial.rebalance.delay.ms`, 3 s there by default; 0 here, as
    /// in Kafka's development set-ups, so that tests do not wait). Each member joining meanwhile
    /// restarts the wait, up to the members' rebalance timeout.
    public var initialRebalanceDelay: Duration
    /// What errors advise when the data directory cannot be created or is in use, or the
    /// address cannot be bound: `exactly broker`'s flags by default.
    public var remedies: Remedies

    /// Advice that names the settings as the person starting the broker knows them: a program
    /// that embeds the broker has its own names for the data directory and the port.
    public struct Remedies: Sendable {
        /// For a data directory that cannot be created or written.
        public var unwritableDataDirectory: String
        /// For an address that cannot be bound.
        public var unboundAddress: String
        /// For a data directory another running broker holds (the error names its pid when
        /// that broker recorded it).
        public var dataDirectoryInUse: String

        /// Advice in terms of `exactly broker`'s flags.
        public init(
            unwritableDataDirectory: String = "pick a writable --data-dir",
            unboundAddress: String = "pick another --port or --host, or stop what holds that address",
            dataDirectoryInUse: String = "stop that broker, or pick another --data-dir"
        ) {
            self.unwritableDataDirectory = unwritableDataDirectory
            self.unboundAddress = unboundAddress
            self.dataDirectoryInUse = dataDirectoryInUse
        }
    }

    /// Settings with Kafka-like defaults: 127.0.0.1:9092, in memory, one partition per
    /// auto-created topic, auto-creation on, two event-loop threads. Checked by `DevBroker.start`.
    public init(
        host: String = "127.0.0.1",
        port: Int = 9092,
        dataDirectory: String? = nil,
        defaultPartitions: Int = 1,
        autoCreateTopics: Bool = true,
        threads: Int = 2,
        initialRebalanceDelay: Duration = .zero,
        remedies: Remedies = Remedies()
    ) {
        self.host = host
        self.port = port
        self.dataDirectory = dataDirectory
        self.defaultPartitions = defaultPartitions
        self.autoCreateTopics = autoCreateTopics
        self.threads = threads
        self.initialRebalanceDelay = initialRebalanceDelay
        self.remedies = remedies
    }
}
