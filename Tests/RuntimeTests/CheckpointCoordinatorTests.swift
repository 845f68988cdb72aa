import Runtime
import Testing

@Suite struct CheckpointCoordinatorTests {
    let t0 = ContinuousClock.now
    let settings = CheckpointSettings(interval: .seconds(1), timeout: .seconds(10), minimumPause: .milliseconds(200), tolerableConsecutiveFailures: 1)

    func id(_ sequence: UInt64) -> CheckpointID { CheckpointID(instance: "app-0", sequence: sequence) }

    func started(restoredFrom: CheckpointID? = nil) -> CheckpointCoordinator {
        var coordinator = CheckpointCoordinator(settings: settings, firstID: id(1), restoredFrom: restoredFrom)
        #expect(coordinator.started(now: t0) == [.beginTransaction])
        return coordinator
    }

    /// Plays one checkpoint from trigger to commit and returns the actions of the commit.
    func completeCycle(_ coordinator: inout CheckpointCoordinator, _ checkpoint: CheckpointID, at now: ContinuousClock.Instant) -> [CheckpointCoordinator.Action] {
        #expect(coordinator.tick(now: now) == [.captureSnapshot(checkpoint)])
        #expect(coordinator.snapshotCaptured(checkpoint) == [.preCommit(checkpoint)])
        #expect(coordinator.offsetsSent(checkpoint) == [])
        #expect(coordinator.snapshotDurable(checkpoint) == [.commitTransaction(checkpoint)])
        return coordinator.commitSucceeded(checkpoint, now: now + .milliseconds(50))
    }

    /// Brings `checkpoint`, triggered already, to its commit.
    func bringToCommit(_ coordinator: inout CheckpointCoordinator, _ checkpoint: CheckpointID) {
        _ = coordinator.snapshotCaptured(checkpoint)
        _ = coordinator.offsetsSent(checkpoint)
        #expect(coordinator.snapshotDurable(checkpoint) == [.commitTransaction(checkpoint)])
    }

    @Test func checkpointCommitsOnlyAfterOffsetsAreSentAndTheManifestIsDurable() {
        var coordinator = started()
        #expect(coordinator.tick(now: t0 + .milliseconds(500)) == [])
        #expect(coordinator.tick(now: t0 + .seconds(1)) == [.captureSnapshot(id(1))])
        #expect(coordinator.acceptsInput)  // the capture is a barrier: input after it is the next epoch's
        #expect(coordinator.snapshotCaptured(id(1)) == [.preCommit(id(1))])
        #expect(coordinator.acceptsInput)  // asynchronous checkpoint: processing goes on
        // Durable first, offsets second: the commit waits for both, in either order.
        #expect(coordinator.snapshotDurable(id(1)) == [])
        #expect(coordinator.offsetsSent(id(1)) == [.commitTransaction(id(1))])
        #expect(coordinator.commitSucceeded(id(1), now: t0 + .seconds(1)) == [.checkpointCompleted(id(1)), .beginTransaction])
        #expect(coordinator.lastCompleted == id(1))
        #expect(completeCycle(&coordinator, id(2), at: t0 + .seconds(2)) == [.checkpointCompleted(id(2)), .beginTransaction])
    }

    @Test func minimumPauseDelaysTheNextTrigger() {
        var coordinator = started()
        #expect(coordinator.tick(now: t0 + .seconds(1)) == [.captureSnapshot(id(1))])
        bringToCommit(&coordinator, id(1))
        // A slow checkpoint ends just before the next interval is due.
        _ = coordinator.commitSucceeded(id(1), now: t0 + .milliseconds(1900))
        #expect(coordinator.tick(now: t0 + .seconds(2)) == [])
        #expect(coordinator.tick(now: t0 + .milliseconds(2100)) == [.captureSnapshot(id(2))])
    }

    @Test func eventsForAnotherCheckpointAreIgnored() {
        var coordinator = started()
        _ = coordinator.tick(now: t0 + .seconds(1))
        #expect(coordinator.snapshotCaptured(id(7)) == [])
        #expect(coordinator.commitSucceeded(id(1), now: t0) == [])  // not committing yet
        #expect(coordinator.stage == .capturing(id(1)))
    }

    @Test func retriableCommitFailureCommitsAgain() {
        var coordinator = started()
        _ = coordinator.tick(now: t0 + .seconds(1))
        bringToCommit(&coordinator, id(1))
        #expect(coordinator.failed(id(1), step: .commit, severity: .retriable, message: "timed out", now: t0 + .seconds(2)) == [.commitTransaction(id(1))])
        #expect(coordinator.commitSucceeded(id(1), now: t0 + .seconds(3)) == [.checkpointCompleted(id(1)), .beginTransaction])
        #expect(coordinator.consecutiveFailures == 0)
    }

    /// A process frozen (a long pause) before its commit wakes long after its checkpoint's
    /// timeout: a commit whose outcome is unknown is still asked again, for the timeout counted
    /// from its first unknown outcome, never aborted (librdkafka refuses an abort while a commit
    /// is unresolved, and an abort could not undo one the broker made); then the processor
    /// stops without aborting, leaving the outcome to the broker and the next start.
    @Test func aCommitWhoseOutcomeIsUnknownIsAskedAgainThenLeftToTheBrokerNeverAborted() {
        var coordinator = started()
        _ = coordinator.tick(now: t0 + .seconds(1))
        bringToCommit(&coordinator, id(1))
        // Woken 40 s later, well past the 10 s timeout since the checkpoint started.
        #expect(coordinator.failed(id(1), step: .commit, severity: .retriable, message: "timed out", now: t0 + .seconds(41)) == [.commitTransaction(id(1))])
        #expect(coordinator.failed(id(1), step: .commit, severity: .retriable, message: "timed out", now: t0 + .seconds(50)) == [.commitTransaction(id(1))])
        let actions = coordinator.failed(id(1), step: .commit, severity: .retriable, message: "timed out", now: t0 + .seconds(52))
        guard case .stop(let failure?) = actions.first, actions.count == 1 else {
            Issue.record("expected only a stop, got \(actions)")
            return
        }
        #expect(failure.hasPrefix("the commit of checkpoint \(id(1)) did not finish within checkpoint.timeout (10.0 seconds) and its outcome is unknown (timed out)"), "\(failure)")
        #expect(failure.contains("Stopping without aborting it"), "\(failure)")
        #expect(coordinator.stage == .stopped)
    }

    /// Each commit gets its own time to settle: the budget of an earlier one does not carry over.
    @Test func theTimeToSettleACommitStartsAgainForEachCheckpoint() {
        var coordinator = started()
        _ = coordinator.tick(now: t0 + .seconds(1))
        bringToCommit(&coordinator, id(1))
        #expect(coordinator.failed(id(1), step: .commit, severity: .retriable, message: "timed out", now: t0 + .seconds(2)) == [.commitTransaction(id(1))])
        _ = coordinator.commitSucceeded(id(1), now: t0 + .seconds(3))
        _ = coordinator.tick(now: t0 + .seconds(20))
        bringToCommit(&coordinator, id(2))
        #expect(coordinator.failed(id(2), step: .commit, severity: .retriable, message: "timed out", now: t0 + .seconds(21)) == [.commitTransaction(id(2))])
    }

    @Test func abortableFailureRollsBackToTheLastCompleteCheckpoint() {
        var coordinator = started(restoredFrom: id(0))
        _ = completeCycle(&coordinator, id(1), at: t0 + .seconds(1))
        _ = coordinator.tick(now: t0 + .seconds(2))
        _ = coordinator.snapshotCaptured(id(2))
        #expect(coordinator.failed(id(2), step: .sendOffsets, severity: .abortable, message: "stale generation", now: t0 + .seconds(2)) == [.abortTransaction(id(2), rollBackTo: .checkpoint(id(1)))])
        #expect(!coordinator.acceptsInput)
        #expect(coordinator.abortReason == "checkpoint app-0-2 failed at sendOffsets: stale generation", "for the abort's log line")
        #expect(coordinator.abortCompleted(id(2), now: t0 + .seconds(3)) == [.beginTransaction])
        // Ids are never reused, even for an aborted attempt.
        #expect(coordinator.tick(now: t0 + .seconds(4)) == [.captureSnapshot(id(3))])
    }

    /// A checkpoint aborted after its manifest was durable (here its commit refused as
    /// abortable, which means the broker did not commit it) is discarded once the abort has
    /// succeeded: nothing can name it then. Left, the store's chains stayed on it while the
    /// states went back to the checkpoint before, and every next snapshot was a full base.
    @Test func aCheckpointAbortedAfterItsManifestWasDurableIsDiscardedOnceAborted() {
        var coordinator = started(restoredFrom: id(0))
        _ = completeCycle(&coordinator, id(1), at: t0 + .seconds(1))
        _ = coordinator.tick(now: t0 + .seconds(2))
        bringToCommit(&coordinator, id(2))
        #expect(coordinator.failed(id(2), step: .commit, severity: .abortable, message: "invalid txn state", now: t0 + .seconds(2))
            == [.abortTransaction(id(2), rollBackTo: .checkpoint(id(1)))])
        #expect(coordinator.abortCompleted(id(2), now: t0 + .seconds(3)) == [.discardSnapshot(id(2)), .beginTransaction])
        // One aborted before its manifest was durable: its late write is discarded when it reports.
        _ = completeCycle(&coordinator, id(3), at: t0 + .seconds(4))
        _ = coordinator.tick(now: t0 + .seconds(6))
        _ = coordinator.snapshotCaptured(id(4))
        _ = coordinator.failed(id(4), step: .sendOffsets, severity: .abortable, message: "stale generation", now: t0 + .seconds(6))
        #expect(coordinator.abortCompleted(id(4), now: t0 + .seconds(7)) == [.beginTransaction])
        #expect(coordinator.snapshotDurable(id(4)) == [.discardSnapshot(id(4))])
    }

    @Test func anAbortThatTimesOutIsRetriedWhileRunningButNotWhenShuttingDown() {
        var coordinator = started()
        _ = coordinator.tick(now: t0 + .seconds(1))
        _ = coordinator.failed(id(1), step: .sendOffsets, severity: .abortable, message: "broker transport failure", now: t0 + .seconds(2))
        // The broker is away: while running, the abort is tried again (it may come back).
        #expect(coordinator.failed(id(1), step: .abort, severity: .retriable, message: "timed out", now: t0 + .seconds(3)) == [.abortTransaction(id(1), rollBackTo: .start)])
        // Asked to shut down meanwhile: one more failed abort stops, saying what recovery will do.
        _ = coordinator.forceCheckpoint(.shutdown, now: t0 + .seconds(4))
        let actions = coordinator.failed(id(1), step: .abort, severity: .retriable, message: "timed out", now: t0 + .seconds(5))
        guard case .stop(let failure?) = actions.first else {
            Issue.record("expected a stop, got \(actions)")
            return
        }
        #expect(failure.contains("could not abort checkpoint \(id(1)) (timed out)"), "\(failure)")
        #expect(failure.contains("recovers from the last committed checkpoint"), "\(failure)")
        #expect(!coordinator.acceptsInput)
    }

    @Test func failureBeforeAnyCommitRollsBackToTheStart() {
        var coordinator = started()
        _ = coordinator.tick(now: t0 + .seconds(1))
        #expect(coordinator.failed(id(1), step: .capture, severity: .abortable, message: "x", now: t0) == [.abortTransaction(id(1), rollBackTo: .start)])
    }

    @Test func checkpointPastItsTimeoutIsAborted() {
        var coordinator = started()
        _ = coordinator.tick(now: t0 + .seconds(1))
        _ = coordinator.snapshotCaptured(id(1))
        _ = coordinator.offsetsSent(id(1))
        #expect(coordinator.tick(now: t0 + .seconds(5)) == [])
        #expect(coordinator.tick(now: t0 + .seconds(12)) == [.abortTransaction(id(1), rollBackTo: .start)])
        // The write finishes after the abort: the orphan snapshot is discarded, never committed.
        #expect(coordinator.snapshotDurable(id(1)) == [.discardSnapshot(id(1))])
    }

    @Test func tooManyConsecutiveFailuresStopWithTheReason() {
        var coordinator = started()
        _ = coordinator.tick(now: t0 + .seconds(1))
        _ = coordinator.failed(id(1), step: .writeSnapshot, severity: .abortable, message: "disk full", now: t0)
        _ = coordinator.abortCompleted(id(1), now: t0 + .seconds(1))
        _ = coordinator.tick(now: t0 + .seconds(2))
        #expect(coordinator.failed(id(2), step: .writeSnapshot, severity: .abortable, message: "disk full", now: t0) == [.abortTransaction(id(2), rollBackTo: .start)])
        let actions = coordinator.abortCompleted(id(2), now: t0 + .seconds(3))
        guard case .stop(let failure?) = actions.first else {
            Issue.record("expected a failing stop, got \(actions)")
            return
        }
        #expect(failure.contains("disk full"))
        #expect(failure.contains("2 checkpoints failed in a row (tolerated: 1)"))
        #expect(coordinator.stage == .stopped)
    }

    @Test func fencedProducerStopsWithoutAborting() {
        var coordinator = started()
        _ = coordinator.tick(now: t0 + .seconds(1))
        _ = coordinator.snapshotCaptured(id(1))
        let actions = coordinator.failed(id(1), step: .commit, severity: .fatal, message: "fenced by a newer instance", now: t0)
        #expect(actions.count == 1)
        guard case .stop(let failure?) = actions.first else {
            Issue.record("expected a failing stop, got \(actions)")
            return
        }
        #expect(failure.contains("fenced"))
    }

    @Test func shutdownWhileProcessingCheckpointsThenStopsCleanly() {
        var coordinator = started()
        #expect(coordinator.forceCheckpoint(.shutdown, now: t0 + .milliseconds(10)) == [.captureSnapshot(id(1))])
        #expect(coordinator.forcedCheckpointPending)
        #expect(!coordinator.acceptsInput)  // a forced capture takes no input behind its barrier
        _ = coordinator.snapshotCaptured(id(1))
        #expect(!coordinator.acceptsInput)
        _ = coordinator.offsetsSent(id(1))
        _ = coordinator.snapshotDurable(id(1))
        #expect(coordinator.commitSucceeded(id(1), now: t0) == [.checkpointCompleted(id(1)), .stop(failure: nil)])
    }

    /// A revocation while snapshot 1 is being captured (input goes on behind its barrier) or
    /// once it is captured (a commit in flight): records taken after the barrier are not in
    /// snapshot 1, so the revocation waits for one more checkpoint.
    @Test(arguments: [false, true]) func revocationAfterTheBarrierNeedsOneMoreCheckpoint(whileCapturing: Bool) {
        var coordinator = started()
        _ = coordinator.tick(now: t0 + .seconds(1))
        #expect(coordinator.acceptsInput)
        if !whileCapturing { _ = coordinator.snapshotCaptured(id(1)) }
        #expect(coordinator.forceCheckpoint(.revocation, now: t0 + .seconds(1)) == [])
        #expect(!coordinator.acceptsInput)
        if whileCapturing { _ = coordinator.snapshotCaptured(id(1)) }
        _ = coordinator.offsetsSent(id(1))
        _ = coordinator.snapshotDurable(id(1))
        #expect(coordinator.commitSucceeded(id(1), now: t0 + .seconds(1)) == [.checkpointCompleted(id(1)), .beginTransaction, .captureSnapshot(id(2))])
        #expect(coordinator.forcedCheckpointPending)
        bringToCommit(&coordinator, id(2))
        #expect(coordinator.commitSucceeded(id(2), now: t0 + .seconds(1)) == [.checkpointCompleted(id(2)), .beginTransaction])
        #expect(!coordinator.forcedCheckpointPending)
    }

    @Test(arguments: [false, true]) func aForcedCheckpointTakesNoInputBehindItsBarrierAndCoversEverything(forcedAgainWhileCapturing: Bool) {
        var coordinator = started()
        #expect(coordinator.forceCheckpoint(.revocation, now: t0 + .seconds(1)) == [.captureSnapshot(id(1))])
        #expect(!coordinator.acceptsInput)
        if forcedAgainWhileCapturing {
            // Another revocation: nothing was taken behind this barrier, so the same one serves.
            #expect(coordinator.forceCheckpoint(.revocation, now: t0 + .seconds(1)) == [])
        }
        bringToCommit(&coordinator, id(1))
        #expect(coordinator.commitSucceeded(id(1), now: t0 + .seconds(1)) == [.checkpointCompleted(id(1)), .beginTransaction])
        #expect(!coordinator.forcedCheckpointPending)
    }

    @Test func lostPartitionsAbortTheOpenEpochWithoutCountingAFailure() {
        var coordinator = started()
        #expect(coordinator.epochLost(now: t0) == [.abortTransaction(id(1), rollBackTo: .start)])
        #expect(coordinator.consecutiveFailures == 0)
        #expect(coordinator.abortReason == nil, "not a failure: the processor says why itself")
        #expect(coordinator.abortCompleted(id(1), now: t0) == [.beginTransaction])
        #expect(coordinator.tick(now: t0 + .seconds(1)) == [.captureSnapshot(id(2))])
    }

    /// Triggers and captures `checkpoint` at `now`, then fails it on the group membership and
    /// completes the abort; returns the failure's actions.
    func failOnMembership(_ coordinator: inout CheckpointCoordinator, _ checkpoint: CheckpointID, at now: ContinuousClock.Instant) -> [CheckpointCoordinator.Action] {
        #expect(coordinator.tick(now: now) == [.captureSnapshot(checkpoint)])
        #expect(coordinator.snapshotCaptured(checkpoint) == [.preCommit(checkpoint)])
        let failed = coordinator.failed(checkpoint, step: .sendOffsets, severity: .groupMembership, message: "UNKNOWN_MEMBER_ID", now: now)
        #expect(coordinator.abortCompleted(checkpoint, now: now) == [.beginTransaction])
        return failed
    }

    @Test func aStaleGroupMembershipAbortsWithoutCountingAndTheNextCheckpointWaitsForTheRejoin() {
        var coordinator = started()
        #expect(failOnMembership(&coordinator, id(1), at: t0 + .seconds(1)) == [.abortTransaction(id(1), rollBackTo: .start)])
        #expect(coordinator.consecutiveFailures == 0)
        // Intervals pass, but a checkpoint before the rejoin would fail the same way.
        #expect(coordinator.tick(now: t0 + .seconds(3)) == [])
        #expect(coordinator.tick(now: t0 + .seconds(5)) == [])
        coordinator.groupRejoined()
        #expect(coordinator.tick(now: t0 + .seconds(5)) == [.captureSnapshot(id(2))])
    }

    @Test func withoutARejoinTheNextCheckpointRunsAfterTheTimeoutAndASecondMembershipFailureCounts() {
        var coordinator = started()
        _ = failOnMembership(&coordinator, id(1), at: t0 + .seconds(1))
        #expect(coordinator.tick(now: t0 + .milliseconds(10_999)) == [])
        // Held for the checkpoint timeout at most; then the second failure before a rejoin counts.
        #expect(failOnMembership(&coordinator, id(2), at: t0 + .seconds(11)) == [.abortTransaction(id(2), rollBackTo: .start)])
        #expect(coordinator.consecutiveFailures == 1, "the second before a rejoin is a failure")
    }

    @Test func aCommittedCheckpointEndsTheWaitForARejoin() {
        var coordinator = started()
        _ = failOnMembership(&coordinator, id(1), at: t0 + .seconds(1))
        // A forced checkpoint (a revocation) does not wait, and its commit shows the membership is fine.
        #expect(coordinator.forceCheckpoint(.revocation, now: t0 + .seconds(2)) == [.captureSnapshot(id(2))])
        #expect(coordinator.snapshotCaptured(id(2)) == [.preCommit(id(2))])
        _ = coordinator.offsetsSent(id(2))
        #expect(coordinator.snapshotDurable(id(2)) == [.commitTransaction(id(2))])
        _ = coordinator.commitSucceeded(id(2), now: t0 + .seconds(2))
        #expect(completeCycle(&coordinator, id(3), at: t0 + .seconds(4)) == [.checkpointCompleted(id(3)), .beginTransaction])
        // And a membership failure after it is again the first since.
        _ = failOnMembership(&coordinator, id(4), at: t0 + .seconds(6))
        #expect(coordinator.consecutiveFailures == 0)
    }

    /// Offsets noted before a rebalance went out with the old generation: the failure says
    /// nothing of the membership now (the consumer has rejoined), so the next checkpoint runs at
    /// its interval. It waited up to the checkpoint timeout (20 s in a test), committing
    /// nothing, when a takeover's assignment raced a checkpoint.
    @Test func aMembershipFailureThatRacedARejoinDoesNotHoldTheNextCheckpoint() {
        var coordinator = started()
        #expect(coordinator.tick(now: t0 + .seconds(1)) == [.captureSnapshot(id(1))])
        #expect(coordinator.snapshotCaptured(id(1)) == [.preCommit(id(1))])
        coordinator.groupRejoined()  // the assignment came while the offsets were on their way
        #expect(coordinator.failed(id(1), step: .sendOffsets, severity: .groupMembership, message: "ILLEGAL_GENERATION", now: t0 + .seconds(1)) == [.abortTransaction(id(1), rollBackTo: .start)])
        #expect(coordinator.abortCompleted(id(1), now: t0 + .seconds(1)) == [.beginTransaction])
        #expect(coordinator.consecutiveFailures == 0)
        #expect(coordinator.tick(now: t0 + .seconds(2)) == [.captureSnapshot(id(2))])
        // And a membership failure with no rejoin since is again the first one: it waits.
        #expect(coordinator.snapshotCaptured(id(2)) == [.preCommit(id(2))])
        _ = coordinator.failed(id(2), step: .sendOffsets, severity: .groupMembership, message: "UNKNOWN_MEMBER_ID", now: t0 + .seconds(2))
        _ = coordinator.abortCompleted(id(2), now: t0 + .seconds(2))
        #expect(coordinator.consecutiveFailures == 0)
        #expect(coordinator.tick(now: t0 + .seconds(4)) == [])
    }

    @Test func checkpointIDsRoundTripThroughText() {
        #expect(CheckpointID("orders-app-3-42") == CheckpointID(instance: "orders-app-3", sequence: 42))
        #expect(CheckpointID("nodash") == nil)
        #expect(CheckpointID("-5") == nil)
        #expect(CheckpointID(instance: "a", sequence: 9).description == "a-9")
        #expect(CheckpointID("app-0-3.17") == CheckpointID(instance: "app-0", incarnation: 3, sequence: 17))
        #expect(CheckpointID(instance: "app-0", incarnation: 3, sequence: 17).description == "app-0-3.17")
        #expect(CheckpointID("app-0-3.") == nil)
        // A later incarnation orders after every checkpoint of an earlier one.
        #expect(CheckpointID(instance: "a", incarnation: 1, sequence: 900) < CheckpointID(instance: "a", incarnation: 2, sequence: 1))
    }
}
