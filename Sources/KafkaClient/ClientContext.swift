import CRdKafka
import Logging
import Synchronization

/// The Swift side of one librdkafka handle, reachable from its C callbacks.
///
/// librdkafka calls back (logs, statistics, delivery reports, rebalances) with the opaque
/// pointer set on the configuration; that pointer is an `Unmanaged` reference to this object,
/// retained for as long as the handle lives and released only after `rd_kafka_destroy` returns,
/// when no callback can run any more.
final class ClientContext: Sendable {
    let logger: Logger
    let statistics: StatisticsBridge?
    /// Called synchronously on the thread that polls the consumer.
    let rebalanceHandler: (@Sendable (RebalanceEvent) -> AssignmentStart)?
    let deliveries = Mutex(DeliveryLedger())
    /// A consumer's errors: which to log, and whether a topic it reads went missing.
    let consumerErrors = Mutex(ConsumerErrorLedger())
    /// Records delivered: counted per record by the delivery callback, so an atomic rather than
    /// a lock (reports may be served by several sending threads at once).
    let delivered = Atomic<Int>(0)
    /// Whether the group has handed this consumer an assignment (possibly empty) at least once:
    /// librdkafka calls the rebalance callback after every successful SyncGroup.
    let hasBeenAssigned = Atomic<Bool>(false)
    /// Whether the consumer subscribed, and so may have joined a group and picked its assignor.
    let hasSubscribed = Atomic<Bool>(false)

    init(
        logger: Logger,
        statistics: StatisticsBridge?,
        rebalanceHandler: (@Sendable (RebalanceEvent) -> AssignmentStart)? = nil
    ) {
        self.logger = logger
        self.statistics = statistics
        self.rebalanceHandler = rebalanceHandler
    }

    /// Notes a consumer's error (from the error callback, or an error message polled) and logs
    /// it unless the same kind was logged within the last minute.
    func consumerErrorOccurred(code: Int32, text: String) {
        let line = consumerErrors.withLock { $0.record(code: code, text: text, at: .now) }
        if let line { logger.error("\(line)") }
    }

    /// The context of `handle`, which must have been created by ``KafkaHandle``.
    static func of(_ handle: OpaquePointer?) -> ClientContext? {
        unmanaged(handle)?.takeUnretainedValue()
    }

    /// The context of `handle`, unretained: for per-record callbacks, which borrow it
    /// (`_withUnsafeGuaranteedRef`) rather than retain a count every sending thread writes.
    static func unmanaged(_ handle: OpaquePointer?) -> Unmanaged<ClientContext>? {
        guard let handle, let opaque = rd_kafka_opaque(handle) else { return nil }
        return Unmanaged<ClientContext>.fromOpaque(opaque)
    }
}

/// What the delivery-report callback has learned since the caller last asked: how many records
/// failed, the first of them, and which kinds (topic and error) were seen, so that each kind is
/// logged once per window rather than once per record (a missing topic fails every record).
struct DeliveryLedger: Sendable {
    private(set) var failureCount = 0
    private(set) var firstFailure: DeliveryFailure?
    private var kinds: Set<Kind> = []

    private struct Kind: Hashable {
        let topic: String
        let code: Int32
    }

    /// Notes `failure`; true when it is the first of its kind since the last ``clear()``.
    mutating func record(_ failure: DeliveryFailure) -> Bool {
        failureCount += 1
        if firstFailure == nil { firstFailure = failure }
        return kinds.insert(Kind(topic: failure.topic, code: failure.rdKafkaCode)).inserted
    }

    /// Starts a new window.
    mutating func clear() {
        self = DeliveryLedger()
    }
}

/// A record that could not be delivered, and why.
public struct DeliveryFailure: Sendable, CustomStringConvertible {
    /// The topic the record was for.
    public let topic: String
    /// The partition, or -1 when none had been chosen.
    public let partition: Int32
    /// librdkafka's error code.
    public let rdKafkaCode: Int32
    /// librdkafka's description of the error.
    public let reason: String

    /// A one-line, human-readable rendering, as used in logs and error messages.
    public var description: String {
        "record for \(topic)[\(partition)] was not delivered: \(reason)"
    }
}
