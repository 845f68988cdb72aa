import Logging
import NIOCore

/// The whole broker as a value type: requests in, responses out. Groups answer some requests
/// later, so their methods return `ConsumerGroup.Action`s; the server keeps the promises.
///
/// Every method is synchronous and runs under the server's lock, so one request's effects are
/// atomic with respect to every other connection. The methods live in extensions by concern
/// (`BrokerState+Topics`, `+ProduceFetch`, `+DeleteRecords`, `+Groups`, `+Transactions`,
/// `+Persistence`); the stored properties below are changed only there.
struct BrokerState {
    let nodeId: Int32 = 1
    let clusterId = "exactly-devbroker"
    var host: String
    var port: Int32
    var defaultPartitions: Int32
    var autoCreateTopics: Bool
    /// Kafka's `group.initial.rebalance.delay.ms`.
    let initialRebalanceDelayMs: Int64
    var topics: [String: [PartitionLog]] = [:]
    var groups: [String: ConsumerGroup] = [:]
    var offsets: [String: [TopicPartition: CommittedOffset]] = [:]
    var transactions: [String: TransactionState] = [:]
    var producerEpochs: [Int64: Int16] = [:]
    var transactionOfProducer: [Int64: String] = [:]
    var nextProducerId: Int64 = 1000
    var nextToken: ConsumerGroup.Token = 1
    let store: DataStore?
    let logger: Logger
    /// Set once a write to the data directory fails: what failed and what to do. From then on
    /// the server answers nothing (`BrokerCore`), so that no client is told of a change the
    /// broker could not keep.
    var storageFailure: String?
    /// Advice for a data directory that cannot be written, in the starter's terms.
    let storageRemedy: String

    /// Kafka's `transaction.max.timeout.ms` default.
    static let maxTransactionTimeoutMs: Int32 = 900_000

    init(configuration: DevBrokerConfiguration, store: DataStore?, logger: Logger, nowMs: Int64) throws {
        host = configuration.host
        port = Int32(configuration.port)
        defaultPartitions = Int32(configuration.defaultPartitions)
        autoCreateTopics = configuration.autoCreateTopics
        initialRebalanceDelayMs = TimeAmount(configuration.initialRebalanceDelay).nanoseconds / 1_000_000
        self.store = store
        self.logger = logger
        storageRemedy = configuration.remedies.unwritableDataDirectory
        guard let store else { return }
        guard let saved = try store.loadState() else {
            // A new directory is written at once, so that one that cannot be written is refused
            // at start, not at the first change a client is waiting on.
            try store.saveState(self.snapshot)
            return
        }
        for (name, count) in saved.topics {
            topics[name] = try (0..<count).map { try store.loadPartition(TopicPartition(topic: name, partition: $0)) }
        }
        try restoreLogStarts(saved.logStartOffsets ?? [:], savedIn: store.stateLogPath)
        for (id, generation) in saved.groupGenerations {
            groups[id] = ConsumerGroup(groupId: id, generation: generation)
        }
        offsets = saved.offsets
        transactions = saved.transactions
        producerEpochs = saved.producerEpochs
        nextProducerId = saved.nextProducerId
        for (id, txn) in transactions {
            transactionOfProducer[txn.producerId] = id
        }
        // A commit decided before the broker stopped is finished: its offsets are applied
        // already, and some of its markers may be written.
        for (id, txn) in transactions where txn.phase == .prepareCommit {
            logger.info("finishing the commit of transaction \(id) (producer \(txn.producerId)) that was decided when the broker stopped")
            completeCommit(id, nowMs: nowMs, onRestart: true)
        }
        // A transaction open when the broker stopped stays open, as Kafka's coordinator keeps
        // it: its partitions, groups and offsets were saved before each was acknowledged, and the
        // partitions' producer state is rebuilt from their logs, so its producer (a client
        // reconnecting after a broker restart) finishes it. One that never comes back is
        // aborted after its timeout, counted from its start (``tick(nowMs:wallMs:)``), or when
        // a new producer with its transactional id starts. Aborting here instead fenced every
        // live producer at each broker restart (found by scripts/broker-restart-test.sh).
        for (id, txn) in transactions where txn.phase == .ongoing {
            logger.info("transaction \(id) (producer \(txn.producerId)) was open when the broker stopped: kept open for its producer to finish, or aborted \(txn.timeoutMs) ms after it began")
        }
        // A marker that could not be written: `state.log` keeps the transaction as it was (the
        // next start tries again), and this one is refused.
        if let storageFailure { throw DevBrokerError(.dataDirectory, storageFailure) }
        try store.saveState(self.snapshot)
    }

    mutating func makeToken() -> ConsumerGroup.Token {
        nextToken += 1
        return nextToken
    }
}
