#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import KafkaClient
import Logging

/// Reads an application's committed offsets for a command-line tool (`exactly run
/// --replay-from-checkpoint`), waiting while an open transaction holds them as the processor
/// does for a partition it takes over (``CommittedOffsetsWait`` says why a read waits).
///
/// Before, the replay read them once with a 30 s timeout and stopped with "Local: Timed out"
/// while a dead instance's transaction held them, with nothing to say why or what to do.
public enum CommittedOffsetsReader {
    /// The committed offsets of `partitions` for the group `consumer` belongs to, read stably.
    /// *Blocking*: tries at once, then (a retriable failure: the offsets held, the coordinator
    /// away) again one try at a time, warning on `logger` with the likely cause and reminding
    /// every 15 s, until they can be read or twice `transactionTimeout` (at least 5 min) passed.
    ///
    /// - Throws: ``CommittedOffsetsUnreadable`` when it gives up or a failure is not retriable.
    public static func read(
        _ partitions: [TopicPartition], with consumer: KafkaConsumer, transactionalID: String, transactionTimeout: Duration, logger: Logger
    ) throws(CommittedOffsetsUnreadable) -> [TopicPartition: PartitionOffset] {
        try read(partitions, transactionalID: transactionalID, transactionTimeout: transactionTimeout, logger: logger) { (timeout) throws(KafkaError) in
            try consumer.committed(partitions, timeout: timeout)
        }
    }

    /// Checks once that the cluster answers at all (a metadata request), before
    /// ``read(_:with:transactionalID:transactionTimeout:logger:)``: offsets read from a cluster
    /// that is not there fail as held offsets do, with a timeout, and a wrong `kafka.bootstrap`
    /// would be waited for as long as a held transaction, minutes.
    ///
    /// - Throws: ``CommittedOffsetsUnreadable`` naming the bootstrap servers and the error, when
    ///   no broker answered within `timeout`.
    public static func requireReachable(_ kafka: KafkaConfiguration, within timeout: Duration = .seconds(30), logger: Logger) throws(CommittedOffsetsUnreadable) {
        do {
            _ = try KafkaAdmin(configuration: kafka, logger: logger).topicNames(timeout: timeout)
        } catch {
            throw CommittedOffsetsUnreadable(message: "could not reach Kafka at \(kafka.bootstrapServers.joined(separator: ",")) within \(ProcessorHealth.seconds(timeout)) "
                + "to read the committed offsets: \(error). Check `kafka.bootstrap` and `kafka.properties` (security settings), and that the brokers run. "
                + "Nothing was replayed or produced, and everything committed stays as it was")
        }
    }

    /// ``read(_:with:transactionalID:transactionTimeout:logger:)`` over any way of trying (for tests: a
    /// read that fails a given number of times).
    static func read(
        _ partitions: [TopicPartition], transactionalID: String, transactionTimeout: Duration, logger: Logger,
        firstTry: Duration = Processor.committedOffsetsReadAtOnce, laterTries: Duration = Processor.committedOffsetsTry,
        now: () -> ContinuousClock.Instant = { .now }, pause: (Duration) -> Void = { usleep(UInt32(clamping: $0.nanoseconds / 1000)) },
        try tryRead: (Duration) throws(KafkaError) -> [TopicPartition: PartitionOffset]
    ) throws(CommittedOffsetsUnreadable) -> [TopicPartition: PartitionOffset] {
        var wait = CommittedOffsetsWait(transactionTimeout: transactionTimeout, waiter: .replay(transactionalID: transactionalID))
        var pending: CommittedOffsetsWait.Read?
        var timeout = firstTry
        while true {
            let tried = now()
            let error: KafkaError
            do throws(KafkaError) {
                let committed = try tryRead(timeout)
                if let pending {
                    let waited = wait.succeeded(pending, at: now()).waited
                    logger.notice("\(CommittedOffsetsWait.list(partitions)): committed offsets read after waiting \(ProcessorHealth.seconds(waited))")
                }
                return committed
            } catch let failure {
                error = failure
            }
            guard error.isRetriable else {
                throw CommittedOffsetsUnreadable(message: "reading the committed offsets of \(CommittedOffsetsWait.list(partitions)) failed: \(error). "
                    + "Nothing was replayed or produced, and everything committed stays as it was")
            }
            if let read = pending {
                switch wait.failed(read, error: "\(error)", at: now()) {
                case .retry(let line):
                    if let line { logger.warning("\(line)") }
                case .giveUp(let message):
                    throw CommittedOffsetsUnreadable(message: message)
                }
            } else {
                let (read, warning) = wait.start(partitions, failedWith: "\(error)", after: firstTry, firstTryStarted: tried, at: now())
                logger.warning("\(warning)")
                pending = read
                timeout = laterTries
            }
            let spacing = CommittedOffsetsWait.pauseBeforeRetry(triedAt: tried, now: now())
            if spacing > .zero { pause(spacing) }
        }
    }
}

/// Committed offsets that could not be read: the message says which, why, and what to do.
public struct CommittedOffsetsUnreadable: Error, CustomStringConvertible {
    /// What happened and what to do.
    public let message: String
    public var description: String { message }
}
