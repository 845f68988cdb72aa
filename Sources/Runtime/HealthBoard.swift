import Synchronization

/// Where a processor posts its ``ProcessorHealth`` and the health endpoints read it: the
/// processor writes from its processing thread, the endpoints read from their own.
///
/// The loop's heartbeat, beaten on every turn of the processing loop (hundreds a second), is an
/// atomic store; the rarer events (a phase, a commit, an assignment) take a lock.
public final class HealthBoard: Sendable {
    private let origin: ContinuousClock.Instant
    /// Nanoseconds from `origin` to the loop's last turn.
    private let heartbeat = Atomic<Int64>(0)
    private let health: Mutex<ProcessorHealth>

    /// A board for a processor with `checkpoint` settings that starts now.
    public init(checkpoint: CheckpointSettings, now: ContinuousClock.Instant = .now) {
        origin = now
        health = Mutex(ProcessorHealth(checkpoint: checkpoint, startingAt: now))
    }

    /// The processing loop came round at `now`.
    public func loopTurned(at now: ContinuousClock.Instant = .now) {
        heartbeat.store((now - origin).nanoseconds, ordering: .relaxed)
    }

    /// Changes the health under the lock.
    public func update(_ change: (inout ProcessorHealth) -> Void) {
        health.withLock { change(&$0) }
    }

    /// The health as it stands, with the loop's last turn.
    public func current() -> ProcessorHealth {
        var current = health.withLock { $0 }
        current.lastLoopTurn = max(current.lastLoopTurn, origin + .nanoseconds(heartbeat.load(ordering: .relaxed)))
        return current
    }
}
