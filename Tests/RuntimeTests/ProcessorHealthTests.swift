import Runtime
import Testing

@Suite struct ProcessorHealthTests {
    let start = ContinuousClock.now
    /// Interval 1 s, timeout 30 s, no pause: stuck after 90 s, uncommitted after 31 s.
    let checkpoint = CheckpointSettings(interval: .seconds(1), timeout: .seconds(30))

    func running(at instant: ContinuousClock.Instant) -> ProcessorHealth {
        var health = ProcessorHealth(checkpoint: checkpoint, startingAt: start)
        health.enter(.running, at: instant)
        health.assigned(0)
        health.lastLoopTurn = instant
        return health
    }

    @Test func theLimitsFollowTheCheckpointSettings() {
        let health = ProcessorHealth(
            checkpoint: CheckpointSettings(interval: .seconds(5), timeout: .seconds(60), minimumPause: .seconds(2)),
            startingAt: start)
        #expect(health.stuckAfter == .seconds(150))
        #expect(health.uncommittedAfter == .seconds(67))
    }

    @Test func aStartingProcessorIsAliveButNotReady() {
        let health = ProcessorHealth(checkpoint: checkpoint, startingAt: start)
        #expect(health.liveness(at: start + .seconds(5)).passes)
        let ready = health.readiness(at: start + .seconds(5))
        #expect(!ready.passes)
        #expect(ready.explanation == "starting for 5.0 s: initializing transactions and joining the consumer group")
    }

    @Test func aRunningProcessorThatCommitsIsReadyAndSaysWhen() {
        var health = running(at: start + .seconds(2))
        health.assigned(8)
        health.committed(at: start + .seconds(3))
        health.lastLoopTurn = start + .milliseconds(3_400)
        let ready = health.readiness(at: start + .milliseconds(3_500))
        #expect(ready == ProcessorHealth.Verdict(passes: true, explanation: "the last checkpoint committed 0.5 s ago; 8 partitions assigned"))
        #expect("\(ready)" == "ok: the last checkpoint committed 0.5 s ago; 8 partitions assigned")
        #expect(health.liveness(at: start + .milliseconds(3_500)).explanation == "the processing loop came round 0.1 s ago")
    }

    @Test func aRunningProcessorIsNotReadyUntilTheGroupAssignsEvenNothing() {
        var health = ProcessorHealth(checkpoint: checkpoint, startingAt: start)
        health.enter(.running, at: start + .seconds(1))
        health.committed(at: start + .seconds(2))
        let waiting = health.readiness(at: start + .seconds(4))
        #expect(waiting == ProcessorHealth.Verdict(passes: false, explanation: "waiting for the consumer group's first assignment for 3.0 s"))
        #expect(health.liveness(at: start + .seconds(4)).passes)
        // More instances than partitions: an empty assignment is a job done.
        health.enter(.restoring(partitions: 0), at: start + .seconds(4))
        health.assigned(0)
        health.enter(.running, at: start + .seconds(4))
        #expect(health.readiness(at: start + .seconds(5)).explanation == "the last checkpoint committed 3.0 s ago; 0 partitions assigned")
    }

    @Test func readinessFailsWhenNoCheckpointCommitsWithinIntervalPlusTimeout() {
        var health = running(at: start)
        health.committed(at: start + .seconds(10))
        health.lastLoopTurn = start + .seconds(41)
        #expect(health.readiness(at: start + .seconds(41)).passes)  // 31 s: the limit itself
        health.lastLoopTurn = start + .seconds(42)
        let verdict = health.readiness(at: start + .seconds(42))
        #expect(!verdict.passes)
        #expect(verdict.explanation.hasPrefix("no checkpoint committed for 32 s (expected within 31 s: an interval, the minimum pause and the timeout). Checkpoints are failing"))
        // Kafka being away is no reason to restart: the process stays alive.
        #expect(health.liveness(at: start + .seconds(42)).passes)
    }

    @Test func readinessCountsFromTheStartOfRunningWhenNothingCommittedYet() {
        let health = running(at: start + .seconds(5))
        #expect(health.readiness(at: start + .seconds(6)).explanation == "running for 1.0 s, no checkpoint committed yet; 0 partitions assigned")
        let late = health.readiness(at: start + .seconds(40))
        #expect(!late.passes)
        #expect(late.explanation.hasPrefix("no checkpoint committed since the processor started running 35 s ago"))
    }

    @Test func aRestoreIsAliveHoweverLongButNotReadyAndItsEndRestartsTheCommitClock() {
        var health = running(at: start)
        health.committed(at: start + .seconds(1))
        health.enter(.restoring(partitions: 3), at: start + .seconds(2))
        // The loop does not turn while a large state is read: still alive, five minutes on.
        let alive = health.liveness(at: start + .seconds(302))
        #expect(alive == ProcessorHealth.Verdict(passes: true, explanation: "restoring 3 partitions from checkpoints for 300 s"))
        #expect(!health.readiness(at: start + .seconds(302)).passes)
        health.assigned(3)
        health.enter(.running, at: start + .seconds(302))
        // Before the loop's next turn, and though the last commit is 301 s old: alive and ready.
        #expect(health.liveness(at: start + .milliseconds(302_100)).passes)
        #expect(health.readiness(at: start + .milliseconds(302_100)).explanation == "the last checkpoint committed 301 s ago; 3 partitions assigned")
        #expect(!health.readiness(at: start + .seconds(334)).passes)
    }

    @Test func aLoopThatStopsComingRoundFailsBothProbesWithWhatToDo() {
        var health = running(at: start)
        health.committed(at: start)
        #expect(health.liveness(at: start + .seconds(90)).passes)
        let stuck = health.liveness(at: start + .seconds(91))
        #expect(!stuck.passes)
        #expect(stuck.explanation.hasPrefix("the processing loop has not come round for 91 s (the limit is 90 s, two checkpoint timeouts and 30 s)"))
        #expect(stuck.explanation.hasSuffix("Restart the process; committed output, offsets and checkpoints stay as they are"))
        #expect(health.readiness(at: start + .seconds(91)) == stuck)
    }

    @Test func shuttingDownIsNotReadyAndARebalanceMeanwhileDoesNotMakeItReady() {
        var health = running(at: start)
        health.committed(at: start)
        health.enter(.stoppingOnRequest, at: start + .seconds(1))
        #expect(health.readiness(at: start + .seconds(1)).explanation == "shutting down: finishing with a checkpoint")
        health.enter(.restoring(partitions: 1), at: start + .seconds(2))
        health.enter(.running, at: start + .seconds(2))
        #expect(health.phase == .stoppingOnRequest)
        #expect(health.liveness(at: start + .seconds(2)).passes)
        health.enter(.stopped(failure: nil), at: start + .seconds(3))
        #expect(health.liveness(at: start + .seconds(3)) == ProcessorHealth.Verdict(passes: false, explanation: "stopped on request"))
    }

    @Test func aFailedProcessorFailsBothProbesWithItsReasonAndStaysStopped() {
        var health = running(at: start)
        health.enter(.stopped(failure: "checkpoint failed 4 times in a row"), at: start + .seconds(1))
        health.enter(.running, at: start + .seconds(2))
        let verdict = health.readiness(at: start + .seconds(2))
        #expect(verdict == ProcessorHealth.Verdict(passes: false, explanation: "stopped: checkpoint failed 4 times in a row"))
        #expect(health.liveness(at: start + .seconds(2)) == verdict)
    }

    @Test func theBoardCarriesTheLoopsHeartbeatAndTheEvents() {
        let board = HealthBoard(checkpoint: checkpoint, now: start)
        board.update { $0.enter(.running, at: start) }
        board.update { $0.assigned(2) }
        board.loopTurned(at: start + .seconds(100))
        board.update { $0.committed(at: start + .seconds(100)) }
        let current = board.current()
        #expect(current.lastLoopTurn == start + .seconds(100))
        #expect(current.phase == .running)
        #expect(current.liveness(at: start + .seconds(150)).passes)
        #expect(!current.liveness(at: start + .seconds(191)).passes)
    }
}
