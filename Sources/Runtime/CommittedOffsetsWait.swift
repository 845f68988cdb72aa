import KafkaClient

/// Assigned partitions whose committed offsets could not be read at once: the processor holds
/// them paused and reads their offsets in the background while it goes on processing the
/// others. This value keeps which partitions wait on which read, and says when to tell the
/// operator and when to give up; the processor does the reading (tested without I/O).
///
/// Why a read waits: a stable read of committed offsets (`require_stable`, which librdkafka
/// sends under `read_committed`) of a partition whose offsets an open transaction holds is
/// answered `UNSTABLE_OFFSET_COMMIT`, and librdkafka asks again until its timeout. After a
/// takeover that transaction is the previous owner's, left open when it died between sending
/// its offsets and committing; Kafka aborts it at its transaction timeout, or at once when a
/// process with its transactional id starts again. Until then nobody may read on from those
/// partitions (the offsets could still commit), and before, the processor waited in the
/// rebalance with every partition standing still, then stopped after 30 s. A group
/// coordinator out of reach looks the same.
struct CommittedOffsetsWait {
    /// One background read of the committed offsets of `partitions`, tried until it succeeds.
    struct Read: Equatable, Sendable {
        let number: Int
        let partitions: [TopicPartition]
    }

    /// What to do after a try failed.
    enum Decision: Equatable {
        /// Try again; log `line` first, when there is one (a reminder, once per ``logEvery``).
        case retry(log: String?)
        /// Stop the processor with this message.
        case giveUp(String)
    }

    /// Who waits: the processor goes on with its other partitions meanwhile, a tool waits
    /// whole. Only the messages differ.
    enum Waiter: Sendable, Equatable {
        /// The processor, holding the partitions paused.
        case processor
        /// `exactly run --replay-from-checkpoint`, before it replays or audits anything, as the
        /// instance whose transactional id is given.
        case replay(transactionalID: String)
    }

    /// How long a read may go on failing before the processor stops.
    let giveUpAfter: Duration
    /// How often the processor says it is still waiting.
    let logEvery: Duration
    /// The transaction timeout the processor's own instances use, for the messages.
    let transactionTimeout: Duration
    /// Who waits, for the messages.
    let waiter: Waiter

    /// Each waiting partition, with the number of the read that will restore it: a result of
    /// an older read of the same partition (revoked and assigned again meanwhile) is stale.
    private(set) var waiting: [TopicPartition: Int] = [:]
    private var startedAt: [Int: ContinuousClock.Instant] = [:]
    private var lastLogged: [Int: ContinuousClock.Instant] = [:]
    private var nextNumber = 1

    init(transactionTimeout: Duration, logEvery: Duration = .seconds(15), waiter: Waiter = .processor) {
        self.transactionTimeout = transactionTimeout
        self.logEvery = logEvery
        self.waiter = waiter
        // Long enough for any transaction of the processor's own instances to time out twice
        // over; at least five minutes, as Kafka Streams' task.timeout.ms.
        giveUpAfter = max(.seconds(300), transactionTimeout * 2)
    }

    var isEmpty: Bool { waiting.isEmpty }

    /// Starts waiting for `partitions` after a first try failed with `error`: the read to
    /// issue, and the warning to log.
    /// `firstTry` is how long a first try may take, for the warning; the wait counts from
    /// `firstTryStarted` (the assignment, or the replay's start), not from the warning.
    mutating func start(
        _ partitions: [TopicPartition], failedWith error: String, after firstTry: Duration,
        firstTryStarted: ContinuousClock.Instant, at now: ContinuousClock.Instant
    ) -> (Read, warning: String) {
        let read = Read(number: nextNumber, partitions: partitions)
        nextNumber += 1
        for partition in partitions { waiting[partition] = read.number }
        startedAt[read.number] = firstTryStarted
        lastLogged[read.number] = now
        let warning = "\(Self.list(partitions)): their committed offsets could not be read within \(Self.seconds(firstTry)) (\(error)). "
            + "Most likely a transaction of their previous owner still holds offsets for them (it stopped between sending its offsets and committing): "
            + "Kafka aborts it at its transaction timeout (transaction.timeout.ms, \(Self.seconds(transactionTimeout)) for this application's instances), "
            + "or at once when a process with its transactional id starts again" + ownTransaction + ". Or the group coordinator is out of reach. "
            + meanwhile + "; their offsets are read again until they can be (for at most \(Self.seconds(giveUpAfter)))"
        return (read, warning)
    }

    /// The partitions of `read` that still wait on it: the others were revoked, or wait on a
    /// newer read.
    func current(_ read: Read) -> [TopicPartition] {
        read.partitions.filter { waiting[$0] == read.number }
    }

    /// The read with only its current partitions, to try again; nil when none is left.
    func retry(_ read: Read) -> Read? {
        let left = current(read)
        return left.isEmpty ? nil : Read(number: read.number, partitions: left)
    }

    /// Partitions taken away: they no longer wait. Returns those that were waiting.
    mutating func revoked(_ partitions: [TopicPartition]) -> [TopicPartition] {
        let stopped = partitions.filter { waiting.removeValue(forKey: $0) != nil }
        forgetFinishedReads()
        return stopped
    }

    /// A try of `read` failed with a retriable `error`.
    mutating func failed(_ read: Read, error: String, at now: ContinuousClock.Instant) -> Decision {
        let partitions = current(read)
        guard !partitions.isEmpty, let started = startedAt[read.number] else { return .retry(log: nil) }
        let waited = now - started
        if waited >= giveUpAfter {
            return .giveUp("the committed offsets of \(Self.list(partitions)) could not be read for \(Self.seconds(waited)) (the last try: \(error)). "
                + "A transaction that holds offsets for them has outlived this application's transaction timeout (\(Self.seconds(transactionTimeout))) more than twice over, "
                + "or the group coordinator stayed out of reach. Check the cluster: `kafka-transactions.sh --bootstrap-server ... find-hanging` lists transactions left open, "
                + "and `abort` ends one. " + leftAsItWas)
        }
        if let last = lastLogged[read.number], now - last < logEvery { return .retry(log: nil) }
        lastLogged[read.number] = now
        let reminder = "still waiting, \(Self.seconds(waited)) so far, for the committed offsets of \(Self.list(partitions)): \(error)"
        return .retry(log: waiter == .processor ? reminder + "; the other partitions are being processed" : reminder)
    }

    /// `read` succeeded for all its partitions but `held` (those an open transaction still
    /// holds, which go on waiting on it): the partitions it restores (those still waiting on
    /// it), and how long they waited.
    mutating func succeeded(_ read: Read, except held: Set<TopicPartition> = [], at now: ContinuousClock.Instant) -> (partitions: [TopicPartition], waited: Duration) {
        let partitions = current(read).filter { !held.contains($0) }
        let waited = startedAt[read.number].map { now - $0 } ?? .zero
        for partition in partitions { waiting.removeValue(forKey: partition) }
        forgetFinishedReads()
        return (partitions, waited)
    }

    private mutating func forgetFinishedReads() {
        let live = Set(waiting.values)
        startedAt = startedAt.filter { live.contains($0.key) }
        lastLogged = lastLogged.filter { live.contains($0.key) }
    }

    /// For a replay, which is often run after its own instance stopped: how to end that
    /// instance's transaction at once (the replay starts no producer before it has read the
    /// offsets: a dry run starts none at all, so that it never fences a running instance).
    private var ownTransaction: String {
        switch waiter {
        case .processor: ""
        case .replay(let transactionalID):
            " (if it is this instance's own, transactional id `\(transactionalID)`, starting the instance without --replay-from-checkpoint ends it at once)"
        }
    }

    /// What goes on while the read waits.
    private var meanwhile: String {
        switch waiter {
        case .processor: "These partitions wait, paused, while the others are processed"
        case .replay: "The replay waits: it must know what was committed before it replays or compares anything"
        }
    }

    /// What a read given up leaves behind.
    private var leftAsItWas: String {
        switch waiter {
        case .processor:
            "Nothing of these partitions was processed by this process; everything committed stays as it was, and a restart reads their offsets again"
        case .replay:
            "Nothing was replayed or produced, and everything committed stays as it was; run the replay again once the transaction is gone"
        }
    }

    /// How long to wait before trying again after a try that began at `tried`: a try that
    /// failed fast (no broker at all) is spaced out to one a second.
    static func pauseBeforeRetry(triedAt tried: ContinuousClock.Instant, now: ContinuousClock.Instant) -> Duration {
        max(.zero, .seconds(1) - (now - tried))
    }

    static func list(_ partitions: [TopicPartition]) -> String {
        partitions.sorted().map(\.description).joined(separator: ", ")
    }

    private static func seconds(_ duration: Duration) -> String { ProcessorHealth.seconds(duration) }
}
