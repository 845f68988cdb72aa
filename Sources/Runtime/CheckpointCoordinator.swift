/// The checkpoint protocol of one processor instance, as a state machine with no I/O.
///
/// The processing loop feeds it events (a timer tick, "snapshot captured", "offsets sent",
/// "manifest durable", "commit succeeded", a failure) and performs the actions it returns, in
/// order. Every crash and failure path is therefore a sequence of events that a test can play
/// in microseconds (see `CheckpointCoordinatorTests`).
///
/// One cycle, for checkpoint `n` (ARCHITECTURE.md section 3):
/// 1. processing in an open transaction;
/// 2. the trigger fires: ``Action/captureSnapshot(_:)`` (a barrier behind the input taken so far:
///    at it, note each partition's next offset and capture its state in O(1));
/// 3. ``Action/preCommit(_:)``: send the offsets with metadata naming `n` to the transaction,
///    and write the snapshot on the writer thread; input goes on, its outputs held back;
/// 4. once the offsets are sent *and* the manifest is durable: ``Action/commitTransaction(_:)``;
/// 5. on success: ``Action/checkpointCompleted(_:)`` and ``Action/beginTransaction`` (which
///    releases the held-back outputs into the next epoch's transaction).
///
/// Only one checkpoint is in flight at a time. A checkpoint that fails or passes its timeout is
/// aborted and the state rolled back to the last complete checkpoint; after more consecutive
/// failures than tolerated, or on a fatal error (for example, fenced by a newer instance), the
/// coordinator stops.
public struct CheckpointCoordinator: Sendable {
    /// Which step of a checkpoint failed.
    public enum Step: String, Sendable {
        case capture, sendOffsets, writeSnapshot, commit, abort, beginTransaction
    }

    /// How bad a failure is, from the Kafka error's classification.
    public enum Severity: Sendable, Equatable {
        /// Repeating the same call may succeed (the outcome of a commit is not known yet).
        case retriable
        /// The transaction must be aborted; the producer can go on afterwards.
        case abortable
        /// The producer (or the store) can no longer be used.
        case fatal
        /// The consumer's group membership is out of date (the group coordinator dropped it, for
        /// one after a restart, or a rebalance moved on): the transaction must be aborted, and no
        /// checkpoint can commit offsets until the consumer has rejoined, which librdkafka does
        /// at its next heartbeat (``CheckpointCoordinator/groupRejoined()``).
        case groupMembership
    }

    /// Why a checkpoint is forced ahead of its interval.
    public enum ForceReason: Sendable, Equatable {
        /// Partitions are being revoked: their epoch must be committed before they go.
        case revocation
        /// SIGTERM or SIGINT: finish with a committed checkpoint and exit 0.
        case shutdown
    }

    /// What the processor rolls back to after an aborted checkpoint.
    public enum RollbackTarget: Sendable, Equatable {
        /// The state and offsets of this complete checkpoint.
        case checkpoint(CheckpointID)
        /// The state and offsets the processor started with (fresh start, nothing committed yet).
        case start
    }

    /// What the processor must do next.
    public enum Action: Sendable, Equatable {
        /// Begin the next epoch's transaction and release held-back outputs into it.
        case beginTransaction
        /// Put a barrier behind the input taken so far; at the barrier, note each partition's
        /// next offset and capture its state. Input taken after the barrier belongs to the next
        /// epoch, so it may go on being taken while the capture is under way.
        case captureSnapshot(CheckpointID)
        /// Send the noted offsets (metadata naming the checkpoint) to the transaction and write
        /// the captured snapshot; input goes on meanwhile, its outputs held back.
        case preCommit(CheckpointID)
        /// Commit the transaction.
        case commitTransaction(CheckpointID)
        /// The checkpoint is complete: apply retention, publish metrics.
        case checkpointCompleted(CheckpointID)
        /// Abort the transaction, drop held-back outputs, restore state and seek input to `to`.
        case abortTransaction(CheckpointID, rollBackTo: RollbackTarget)
        /// A snapshot finished writing for a checkpoint that was already aborted: remove it.
        case discardSnapshot(CheckpointID)
        /// Stop the processor; `failure` is `nil` for a clean stop (exit 0).
        case stop(failure: String?)
    }

    /// The stage the coordinator is in.
    public enum Stage: Sendable, Equatable {
        case notStarted
        case processing
        case capturing(CheckpointID)
        case preCommitting(CheckpointID, offsetsSent: Bool, snapshotDurable: Bool)
        case committing(CheckpointID)
        case aborting(CheckpointID, thenStop: String?)
        case stopped
    }

    /// The settings in force.
    public let settings: CheckpointSettings
    /// Where the coordinator is.
    public private(set) var stage: Stage = .notStarted
    /// The last checkpoint that committed (or the one restored at start).
    public private(set) var lastCompleted: CheckpointID?
    /// The id the next checkpoint will get.
    public private(set) var nextID: CheckpointID
    /// Failed checkpoints since the last one that completed.
    public private(set) var consecutiveFailures = 0
    /// Why the checkpoint being aborted failed, for the abort's log line; `nil` for an abort
    /// that is not a failure (lost partitions, a stale group membership: their callers say why).
    public private(set) var abortReason: String?
    /// Whether the checkpoint being aborted had a durable manifest when its abort began.
    private var abortedSnapshotDurable = false

    private var lastTriggeredAt: ContinuousClock.Instant?
    private var lastEndedAt: ContinuousClock.Instant?
    private var inFlightStartedAt: ContinuousClock.Instant?
    /// When the commit of the checkpoint in flight first failed with its outcome unknown: it is
    /// asked again until then + the timeout. Not the checkpoint's start: a process frozen
    /// before its commit wakes with that time long gone, and its commit must still be settled.
    private var commitUnresolvedSince: ContinuousClock.Instant?
    private var force: ForceReason?
    /// The checkpoint whose snapshot covers everything processed before the force was asked for.
    private var forceSatisfiedBy: CheckpointID?
    /// When a checkpoint last failed on the group membership, while the consumer has not
    /// rejoined since: checkpoints wait for the rejoin, up to the checkpoint timeout.
    private var membershipFailedAt: ContinuousClock.Instant?
    /// How many times the consumer rejoined its group, and how many it had when the checkpoint
    /// in flight noted its offsets (its ``Action/preCommit(_:)``).
    private var rejoins = 0
    private var rejoinsAtPreCommit: Int?

    /// A coordinator whose first checkpoint will be `firstID`, continuing from `restoredFrom`.
    public init(settings: CheckpointSettings, firstID: CheckpointID, restoredFrom: CheckpointID?) {
        self.settings = settings
        nextID = firstID
        lastCompleted = restoredFrom
    }

    /// Whether a forced checkpoint (revocation, shutdown) has yet to commit.
    public var forcedCheckpointPending: Bool { force != nil }

    /// Whether new input may be taken now: not while a forced checkpoint is pending (input taken
    /// then would belong to partitions about to be given up, or delay the exit), and not while
    /// an abort rolls back. While a snapshot is being captured it may: the capture is a barrier
    /// behind the input taken before it, and what is taken after it belongs to the next epoch.
    public var acceptsInput: Bool {
        switch stage {
        case .processing, .capturing, .preCommitting, .committing: return force == nil
        case .notStarted, .aborting, .stopped: return false
        }
    }

    private var inFlightID: CheckpointID? {
        switch stage {
        case .capturing(let id), .committing(let id), .preCommitting(let id, _, _): return id
        default: return nil
        }
    }

    // MARK: Events

    /// Recovery is done: processing may begin.
    public mutating func started(now: ContinuousClock.Instant) -> [Action] {
        guard stage == .notStarted else { return [] }
        stage = .processing
        lastTriggeredAt = now
        lastEndedAt = now
        return [.beginTransaction]
    }

    /// Time passed: trigger a checkpoint when due, abort one that exceeded its timeout.
    public mutating func tick(now: ContinuousClock.Instant) -> [Action] {
        switch stage {
        case .processing:
            let intervalDue = lastTriggeredAt.map { now - $0 >= settings.interval } ?? true
            let pauseRespected = lastEndedAt.map { now - $0 >= settings.minimumPause } ?? true
            // After a membership failure, a checkpoint before the rejoin would fail the same way.
            let awaitingRejoin = membershipFailedAt.map { now - $0 < settings.timeout } ?? false
            if force != nil || (intervalDue && pauseRespected && !awaitingRejoin) {
                return trigger(now: now)
            }
            return []
        case .capturing(let id), .preCommitting(let id, _, _), .committing(let id):
            guard let started = inFlightStartedAt, now - started > settings.timeout else { return [] }
            return fail(id, reason: "checkpoint \(id) did not commit within its timeout of \(settings.timeout)")
        case .notStarted, .aborting, .stopped:
            return []
        }
    }

    /// Checkpoint now, ahead of the interval, for `reason`.
    public mutating func forceCheckpoint(_ reason: ForceReason, now: ContinuousClock.Instant) -> [Action] {
        // Shutdown outranks revocation: both are satisfied by the same checkpoint.
        if force != .shutdown { force = reason }
        switch stage {
        case .processing:
            return trigger(now: now)
        case .capturing(let id), .preCommitting(let id, _, _), .committing(let id):
            // A checkpoint that was forced itself took no input behind its barrier: it covers
            // everything processed. Any other took input after its barrier (while capturing
            // too), which its snapshot does not hold: one more checkpoint. For a revocation that
            // matters: the outputs of records behind the barrier would otherwise be sent in the
            // next transaction for partitions whose offsets another member then reads from the
            // last commit.
            if forceSatisfiedBy != id { forceSatisfiedBy = nil }
            return []
        case .notStarted:
            if reason == .shutdown {
                stage = .stopped
                return [.stop(failure: nil)]
            }
            return []
        case .aborting, .stopped:
            return []
        }
    }

    /// The snapshot of `id` was captured and its offsets noted.
    public mutating func snapshotCaptured(_ id: CheckpointID) -> [Action] {
        guard stage == .capturing(id) else { return [] }
        stage = .preCommitting(id, offsetsSent: false, snapshotDurable: false)
        rejoinsAtPreCommit = rejoins
        return [.preCommit(id)]
    }

    /// The offsets of `id` are in the transaction.
    public mutating func offsetsSent(_ id: CheckpointID) -> [Action] {
        guard case .preCommitting(id, _, let durable) = stage else { return [] }
        stage = .preCommitting(id, offsetsSent: true, snapshotDurable: durable)
        return commitIfReady(id)
    }

    /// The manifest of `id` is durable on disk.
    public mutating func snapshotDurable(_ id: CheckpointID) -> [Action] {
        guard case .preCommitting(id, let sent, _) = stage else {
            // A write that finished after its checkpoint was aborted: nothing will ever name it.
            return isStale(id) ? [.discardSnapshot(id)] : []
        }
        stage = .preCommitting(id, offsetsSent: sent, snapshotDurable: true)
        return commitIfReady(id)
    }

    /// The transaction of `id` committed: the checkpoint is complete.
    public mutating func commitSucceeded(_ id: CheckpointID, now: ContinuousClock.Instant) -> [Action] {
        guard stage == .committing(id) else { return [] }
        lastCompleted = id
        consecutiveFailures = 0
        membershipFailedAt = nil
        lastEndedAt = now
        inFlightStartedAt = nil
        var actions: [Action] = [.checkpointCompleted(id)]
        if force != nil, forceSatisfiedBy == id {
            let reason = force
            force = nil
            forceSatisfiedBy = nil
            if reason == .shutdown {
                stage = .stopped
                return actions + [.stop(failure: nil)]
            }
        }
        stage = .processing
        actions.append(.beginTransaction)
        if force != nil {
            actions += trigger(now: now)
        }
        return actions
    }

    /// A step of `id` failed with `severity`.
    public mutating func failed(_ id: CheckpointID, step: Step, severity: Severity, message: String, now: ContinuousClock.Instant) -> [Action] {
        if case .aborting(let abortingID, let thenStop) = stage, abortingID == id, step == .abort {
            // A broker that is away may come back: while running, keep trying. Not when the
            // processor is stopping anyway (a shutdown, or too many failures): then retrying
            // would only keep the process from exiting while the broker stays away.
            if severity == .retriable, thenStop == nil, force != .shutdown {
                return [.abortTransaction(id, rollBackTo: rollbackTarget)]
            }
            stage = .stopped
            let unaborted = "could not abort checkpoint \(id) (\(message)). Nothing of it is committed: "
                + "the broker aborts its transaction after transaction.timeout.ms, and the next start "
                + "fences it and recovers from the last committed checkpoint"
            return [.stop(failure: thenStop.map { "\($0); then \(unaborted)" } ?? unaborted)]
        }
        if step == .beginTransaction {
            stage = .stopped
            return [.stop(failure: "could not begin a transaction: \(message)")]
        }
        guard inFlightID == id else { return [] }
        if severity == .fatal {
            // A fatal producer error (e.g. fenced by a newer instance with the same id): the
            // transaction cannot even be aborted by us; the broker or the new owner will do it.
            stage = .stopped
            return [.stop(failure: "checkpoint \(id) failed at \(step.rawValue) with a fatal error: \(message)")]
        }
        if severity == .groupMembership {
            // A checkpoint whose offsets raced a rebalance (the consumer rejoined after they
            // were noted, so they went with the old generation) says nothing of the membership
            // now: redone at once, not counted, and the next checkpoint need not wait.
            if let noted = rejoinsAtPreCommit, rejoins > noted {
                return abortUncounted(id)
            }
            // The first since the consumer last rejoined is expected after a broker restart or a
            // missed heartbeat, and is not counted; one more before a rejoin is a failure.
            let first = membershipFailedAt == nil
            membershipFailedAt = now
            if first { return abortUncounted(id) }
        }
        if severity == .retriable, step == .commit {
            // The outcome is not known yet: committing again is the only safe move. An abort is
            // not one: librdkafka refuses it while a commit is unresolved (_CONFLICT), and it
            // could not undo a commit the broker has made.
            let since = commitUnresolvedSince ?? now
            commitUnresolvedSince = since
            if now - since <= settings.timeout {
                return [.commitTransaction(id)]
            }
            stage = .stopped
            return [.stop(failure: "the commit of checkpoint \(id) did not finish within checkpoint.timeout (\(settings.timeout)) and its outcome is unknown (\(message)). "
                + "Stopping without aborting it: nothing is lost, the broker finishes or aborts the transaction (within transaction.timeout.ms), "
                + "and the next start fences this producer and recovers from whatever Kafka committed. Check that Kafka is reachable")]
        }
        return fail(id, reason: "checkpoint \(id) failed at \(step.rawValue): \(message)")
    }

    /// The abort of `id` finished; state and offsets are rolled back.
    public mutating func abortCompleted(_ id: CheckpointID, now: ContinuousClock.Instant) -> [Action] {
        guard case .aborting(id, let thenStop) = stage else { return [] }
        if let thenStop {
            stage = .stopped
            return [.stop(failure: thenStop)]
        }
        stage = .processing
        lastTriggeredAt = now
        lastEndedAt = now
        // The abort succeeded, so nothing can name the checkpoint: a manifest already durable is
        // discarded (a write that finishes later is, in ``snapshotDurable(_:)``). Left, the
        // store's chains stayed on it while the states went back to the checkpoint before, and
        // every partition's next snapshot was a full base; with a large state, one that could
        // outlast the timeout and be aborted in turn, and so on (found by review).
        var actions: [Action] = abortedSnapshotDurable ? [.discardSnapshot(id), .beginTransaction] : [.beginTransaction]
        abortedSnapshotDurable = false
        if force != nil {
            actions += trigger(now: now)
        }
        return actions
    }

    /// Partitions were lost (another member already owns them): the open epoch cannot commit.
    /// Aborts it and rolls back, without counting a checkpoint failure.
    public mutating func epochLost(now: ContinuousClock.Instant) -> [Action] {
        let id: CheckpointID
        switch stage {
        case .processing: id = nextID
        case .capturing(let inFlight), .preCommitting(let inFlight, _, _), .committing(let inFlight): id = inFlight
        case .notStarted, .aborting, .stopped: return []
        }
        if stage == .processing { nextID = id.next }
        return abortUncounted(id)
    }

    /// The consumer rejoined its group (it received an assignment): checkpoints can commit
    /// offsets again.
    public mutating func groupRejoined() {
        membershipFailedAt = nil
        rejoins += 1
    }

    // MARK: Transitions

    private mutating func trigger(now: ContinuousClock.Instant) -> [Action] {
        let id = nextID
        nextID = id.next
        stage = .capturing(id)
        lastTriggeredAt = now
        inFlightStartedAt = now
        if force != nil { forceSatisfiedBy = id }
        return [.captureSnapshot(id)]
    }

    private mutating func commitIfReady(_ id: CheckpointID) -> [Action] {
        guard case .preCommitting(id, true, true) = stage else { return [] }
        stage = .committing(id)
        commitUnresolvedSince = nil
        return [.commitTransaction(id)]
    }

    /// Whether the checkpoint in flight has a durable manifest (its write reported), so that an
    /// abort must discard it: nothing reports it later.
    private var inFlightSnapshotDurable: Bool {
        switch stage {
        case .preCommitting(_, _, let durable): durable
        case .committing: true
        case .notStarted, .processing, .capturing, .aborting, .stopped: false
        }
    }

    /// Aborts `id` and rolls back, without counting a checkpoint failure.
    private mutating func abortUncounted(_ id: CheckpointID) -> [Action] {
        abortedSnapshotDurable = inFlightSnapshotDurable
        abortReason = nil
        inFlightStartedAt = nil
        if force != nil { forceSatisfiedBy = nil }
        stage = .aborting(id, thenStop: nil)
        return [.abortTransaction(id, rollBackTo: rollbackTarget)]
    }

    private mutating func fail(_ id: CheckpointID, reason: String) -> [Action] {
        abortedSnapshotDurable = inFlightSnapshotDurable
        abortReason = reason
        consecutiveFailures += 1
        inFlightStartedAt = nil
        if force != nil { forceSatisfiedBy = nil }
        let stopReason: String? = consecutiveFailures > settings.tolerableConsecutiveFailures
            ? "\(reason); \(consecutiveFailures) checkpoints failed in a row (tolerated: \(settings.tolerableConsecutiveFailures))"
            : nil
        stage = .aborting(id, thenStop: stopReason)
        return [.abortTransaction(id, rollBackTo: rollbackTarget)]
    }

    private var rollbackTarget: RollbackTarget {
        lastCompleted.map { .checkpoint($0) } ?? .start
    }

    private func isStale(_ id: CheckpointID) -> Bool {
        id.instance == nextID.instance && id.incarnation == nextID.incarnation && id.sequence < nextID.sequence
            && id != inFlightID && id != lastCompleted
    }
}
