/// Whether a running processor is alive and ready: what the health endpoints beside the metrics
/// (`GET /livez`, `GET /readyz`) answer, for Kubernetes' liveness and readiness probes and for
/// load balancers and scripts that wait for a processor to be up.
///
/// A value: the processor tells it what it does (``HealthBoard`` carries it across threads), and
/// it judges from that and the time alone, so every verdict is tested without I/O.
///
/// - **Alive** means that restarting the process would not help: its processing loop comes
///   round. It fails only when the loop has not turned for ``stuckAfter`` (a call into Kafka or
///   the checkpoint store that hangs past every timeout), never because Kafka is away (a
///   restart does not bring it back; the processor stops by itself after
///   `checkpoint.tolerable_failures` failed checkpoints) and never while partitions are being
///   restored (that takes as long as the state is large).
/// - **Ready** means that it is doing its job: started, given its first assignment by the group
///   (an empty one too) and restored it, not shutting down, and committing checkpoints. A
///   checkpoint is committed every interval whether or not input arrives (an idle epoch commits
///   an empty transaction), so a gap longer than ``uncommittedAfter`` means checkpoints fail, on
///   busy and idle input alike. A rolling update that waits for readiness waits until the new
///   instance has restored its partitions.
public struct ProcessorHealth: Sendable, Equatable {
    /// What the processor is doing.
    public enum Phase: Sendable, Equatable {
        /// Starting its transactional producer (which fences an older instance) and joining the group.
        case starting
        /// Processing, checkpointing, or waiting for input.
        case running
        /// Restoring `partitions` newly assigned partitions from their checkpoints.
        case restoring(partitions: Int)
        /// Finishing with a checkpoint after SIGTERM or SIGINT.
        case stoppingOnRequest
        /// Stopped; `failure` says why when it was not asked to.
        case stopped(failure: String?)
    }

    /// Is it fine, and what it is doing or what is wrong, in words for the response body.
    public struct Verdict: Sendable, Equatable, CustomStringConvertible {
        /// Whether the probe passes.
        public let passes: Bool
        /// One line for a person reading the probe's answer.
        public let explanation: String
        public var description: String { "\(passes ? "ok" : "failing"): \(explanation)" }

        /// A verdict that `passes` or not, because of `explanation`.
        public init(passes: Bool, explanation: String) {
            self.passes = passes
            self.explanation = explanation
        }
    }

    /// The loop may stand still this long before the process counts as hung: two checkpoint
    /// timeouts (a commit awaited, then its abort) and 30 s (the committed-offsets read of an
    /// assignment) are the longest it legitimately waits.
    public let stuckAfter: Duration
    /// Checkpoints count as failing when none committed for this long since the processor
    /// started running: an interval, the minimum pause, and the timeout of one checkpoint.
    public let uncommittedAfter: Duration

    /// What the processor is doing now.
    public private(set) var phase: Phase = .starting
    /// When the phase began.
    public private(set) var phaseSince: ContinuousClock.Instant
    /// When the processing loop last came round (``HealthBoard`` sets it from its heartbeat).
    public var lastLoopTurn: ContinuousClock.Instant
    /// When the last checkpoint committed, if one did.
    public private(set) var lastCommit: ContinuousClock.Instant?
    /// How many partitions are assigned and restored.
    public private(set) var partitionsAssigned = 0
    /// Whether the consumer group gave this member its first assignment (an empty one too).
    public private(set) var joinedGroup = false

    /// The health of a processor that starts at `start` with `checkpoint` settings.
    public init(checkpoint: CheckpointSettings, startingAt start: ContinuousClock.Instant) {
        stuckAfter = checkpoint.timeout * 2 + .seconds(30)
        uncommittedAfter = checkpoint.interval + checkpoint.minimumPause + checkpoint.timeout
        phaseSince = start
        lastLoopTurn = start
    }

    /// Enters `phase` at `instant`. A stopped processor stays stopped, and one stopping on
    /// request only stops: a rebalance while it finishes (a restore, then running again) does
    /// not make it ready again.
    public mutating func enter(_ phase: Phase, at instant: ContinuousClock.Instant) {
        switch (self.phase, phase) {
        case (.stopped, _): return
        case (.stoppingOnRequest, .stopped): break
        case (.stoppingOnRequest, _): return
        default: break
        }
        self.phase = phase
        phaseSince = instant
    }

    /// A checkpoint committed at `instant`.
    public mutating func committed(at instant: ContinuousClock.Instant) {
        lastCommit = instant
    }

    /// `partitions` partitions are assigned and restored now (after the group's assignment,
    /// which may be empty, or a revocation).
    public mutating func assigned(_ partitions: Int) {
        partitionsAssigned = partitions
        joinedGroup = true
    }

    /// The liveness probe's answer at `now`.
    public func liveness(at now: ContinuousClock.Instant) -> Verdict {
        switch phase {
        case .stopped(let failure):
            return Verdict(passes: false, explanation: "stopped" + (failure.map { ": \($0)" } ?? " on request"))
        case .restoring(let partitions):
            return Verdict(passes: true, explanation: "restoring \(Self.count(partitions, "partition")) from checkpoints for \(Self.seconds(now - phaseSince))")
        case .starting, .running, .stoppingOnRequest:
            // Entering a phase is the loop's work too (the end of a restore, say, before the
            // loop's next turn).
            let still = now - max(lastLoopTurn, phaseSince)
            if still > stuckAfter {
                return Verdict(passes: false, explanation: "the processing loop has not come round for \(Self.seconds(still)) (the limit is \(Self.seconds(stuckAfter)), two checkpoint timeouts and 30 s): a call into Kafka or the checkpoint store hangs. Restart the process; committed output, offsets and checkpoints stay as they are")
            }
            return Verdict(passes: true, explanation: "the processing loop came round \(Self.seconds(still)) ago")
        }
    }

    /// The readiness probe's answer at `now`.
    public func readiness(at now: ContinuousClock.Instant) -> Verdict {
        switch phase {
        case .starting:
            return Verdict(passes: false, explanation: "starting for \(Self.seconds(now - phaseSince)): initializing transactions and joining the consumer group")
        case .restoring(let partitions):
            return Verdict(passes: false, explanation: "restoring \(Self.count(partitions, "partition")) from checkpoints for \(Self.seconds(now - phaseSince))")
        case .stoppingOnRequest:
            return Verdict(passes: false, explanation: "shutting down: finishing with a checkpoint")
        case .stopped:
            return liveness(at: now)
        case .running:
            let alive = liveness(at: now)
            guard alive.passes else { return alive }
            // Until the group assigns, this instance holds nothing; a rolling update that moved
            // on now would take the next instance down before this one took anything over.
            guard joinedGroup else {
                return Verdict(passes: false, explanation: "waiting for the consumer group's first assignment for \(Self.seconds(now - phaseSince))")
            }
            // A restore or the start does not commit: count from whichever came last.
            let since = max(lastCommit ?? phaseSince, phaseSince)
            let uncommitted = now - since
            if uncommitted > uncommittedAfter {
                let what = lastCommit == nil ? "no checkpoint committed since the processor started running \(Self.seconds(uncommitted)) ago" : "no checkpoint committed for \(Self.seconds(uncommitted))"
                return Verdict(passes: false, explanation: "\(what) (expected within \(Self.seconds(uncommittedAfter)): an interval, the minimum pause and the timeout). Checkpoints are failing: the log says why; Kafka may be out of reach or refusing the transaction")
            }
            let last = lastCommit.map { "the last checkpoint committed \(Self.seconds(now - $0)) ago" } ?? "running for \(Self.seconds(now - phaseSince)), no checkpoint committed yet"
            return Verdict(passes: true, explanation: "\(last); \(Self.count(partitionsAssigned, "partition")) assigned")
        }
    }

    /// `0.4 s`, `12 s`, `95 s`: tenths below 10 s, whole seconds above.
    static func seconds(_ duration: Duration) -> String {
        let milliseconds = duration.nanoseconds / 1_000_000
        if milliseconds < 10_000 {
            let tenths = (milliseconds + 50) / 100
            return "\(tenths / 10).\(tenths % 10) s"
        }
        return "\((milliseconds + 500) / 1000) s"
    }

    private static func count(_ value: Int, _ noun: String) -> String {
        "\(value) \(noun)\(value == 1 ? "" : "s")"
    }
}
