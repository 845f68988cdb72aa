import Runtime
import Testing

@Suite struct ProgressLogTests {
    let start = ContinuousClock.now

    @Test func noLineIsDueBeforeTheInterval() {
        var log = ProgressLog(interval: .seconds(30), startingAt: start)
        #expect(log.line(at: start + .seconds(29), recordsRead: 1_000, partitionsAssigned: 8) == nil)
    }

    @Test func aLineSaysWhatWasReadHowFastAndThatNothingCommittedYet() {
        var log = ProgressLog(interval: .seconds(10), startingAt: start)
        let line = log.line(at: start + .seconds(10), recordsRead: 4_512_000, partitionsAssigned: 8)
        #expect(line == "progress: 4,512,000 records read, 451,200 a second over the last 10 s; no checkpoint committed yet; 8 partitions assigned")
    }

    @Test func theRateIsOverTheLastIntervalAndTheLastCommitIsNamedWithItsAge() throws {
        var log = ProgressLog(interval: .seconds(10), startingAt: start)
        _ = log.line(at: start + .seconds(10), recordsRead: 1_000_000, partitionsAssigned: 8)
        let first = try #require(CheckpointID("order-totals-0-3.23"))
        let second = try #require(CheckpointID("order-totals-0-3.24"))
        log.committed(first, at: start + .seconds(14))
        log.committed(second, at: start + .milliseconds(19_600))
        // Late by half a second: the rate divides by the time that really passed.
        let line = log.line(at: start + .milliseconds(20_500), recordsRead: 2_050_000, partitionsAssigned: 1)
        #expect(line == "progress: 2,050,000 records read, 100,000 a second over the last 10.5 s; 2 checkpoints committed, the last (order-totals-0-3.24) 0.9 s ago; 1 partition assigned")
        // The next line is due an interval after this one, not after the one before.
        #expect(log.line(at: start + .seconds(30), recordsRead: 2_100_000, partitionsAssigned: 1) == nil)
        #expect(log.line(at: start + .milliseconds(30_500), recordsRead: 2_100_000, partitionsAssigned: 1)?.contains("5,000 a second over the last 10 s; 2 checkpoints") == true)
    }

    @Test func oneCommitIsOneCheckpointAndAnIdleRunReadsZeroASecond() throws {
        var log = ProgressLog(interval: .seconds(30), startingAt: start)
        log.committed(try #require(CheckpointID("app-0-1.1")), at: start + .seconds(1))
        let line = log.line(at: start + .seconds(30), recordsRead: 0, partitionsAssigned: 0)
        #expect(line == "progress: 0 records read, 0 a second over the last 30 s; 1 checkpoint committed, the last (app-0-1.1) 29 s ago; 0 partitions assigned")
    }
}
