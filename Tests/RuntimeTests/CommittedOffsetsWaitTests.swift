import KafkaClient
import Testing

@testable import Runtime

@Suite struct CommittedOffsetsWaitTests {
    let start = ContinuousClock.now
    let one = TopicPartition("orders", 1)
    let three = TopicPartition("orders", 3)
    let five = TopicPartition("orders", 5)

    func at(_ seconds: Int) -> ContinuousClock.Instant { start + .seconds(seconds) }

    @Test func theFirstWarningNamesThePartitionsTheLikelyCauseAndTheLimits() {
        var wait = CommittedOffsetsWait(transactionTimeout: .seconds(60))
        let (read, warning) = wait.start([three, one], failedWith: "Local: Timed out", after: .seconds(3), firstTryStarted: start - .seconds(3), at: start)
        #expect(read.partitions == [three, one])
        #expect(wait.waiting == [one: read.number, three: read.number])
        #expect(warning.hasPrefix("orders-1, orders-3: their committed offsets could not be read within 3.0 s (Local: Timed out)"))
        #expect(warning.contains("transaction.timeout.ms, 60 s for this application's instances"))
        #expect(warning.contains("while the others are processed"))
        #expect(warning.hasSuffix("(for at most 300 s)"))
    }

    @Test func failedTriesAreRetriedWithAReminderEveryFifteenSecondsThenGivenUp() {
        var wait = CommittedOffsetsWait(transactionTimeout: .seconds(60))
        let (read, _) = wait.start([one, three], failedWith: "Local: Timed out", after: .seconds(3), firstTryStarted: start - .seconds(3), at: start)
        #expect(wait.failed(read, error: "Local: Timed out", at: at(5)) == .retry(log: nil))
        guard case .retry(let line?) = wait.failed(read, error: "Local: Timed out", at: at(16)) else {
            Issue.record("no reminder after 16 s")
            return
        }
        #expect(line == "still waiting, 19 s so far, for the committed offsets of orders-1, orders-3: Local: Timed out; the other partitions are being processed")
        #expect(wait.failed(read, error: "Local: Timed out", at: at(20)) == .retry(log: nil))
        #expect(wait.failed(read, error: "Local: Timed out", at: at(31)) != .retry(log: nil))
        if case .giveUp = wait.failed(read, error: "Local: Timed out", at: at(296)) {
            Issue.record("given up before 300 s from the first try")
        }
        guard case .giveUp(let message) = wait.failed(read, error: "Local: Timed out", at: at(297)) else {
            Issue.record("not given up 300 s after the first try")
            return
        }
        #expect(message.hasPrefix("the committed offsets of orders-1, orders-3 could not be read for 300 s (the last try: Local: Timed out)"))
        #expect(message.contains("find-hanging"))
        #expect(message.contains("everything committed stays as it was"))
    }

    @Test func theLimitIsTwiceTheTransactionTimeoutAndAtLeastFiveMinutes() {
        #expect(CommittedOffsetsWait(transactionTimeout: .seconds(60)).giveUpAfter == .seconds(300))
        #expect(CommittedOffsetsWait(transactionTimeout: .seconds(900)).giveUpAfter == .seconds(1800))
    }

    @Test func aSuccessRestoresThePartitionsStillWaitingAndSaysHowLong() {
        var wait = CommittedOffsetsWait(transactionTimeout: .seconds(60))
        let (read, _) = wait.start([one, three, five], failedWith: "x", after: .seconds(3), firstTryStarted: start - .seconds(3), at: start)
        #expect(wait.revoked([five, TopicPartition("orders", 0)]) == [five])
        #expect(wait.retry(read) == CommittedOffsetsWait.Read(number: read.number, partitions: [one, three]))
        let (ready, waited) = wait.succeeded(read, at: at(42))
        #expect(ready == [one, three])
        #expect(waited == .seconds(45), "counted from the first try, 3 s before the warning")
        #expect(wait.isEmpty)
        #expect(wait.succeeded(read, at: at(43)).partitions.isEmpty, "a second report of the same read restores nothing")
    }

    /// A try that read some partitions and found others held restores the first and keeps
    /// the held ones waiting on the same read, counting from the same start.
    @Test func aTryThatFindsSomePartitionsHeldRestoresTheOthersAndKeepsTheHeldWaiting() {
        var wait = CommittedOffsetsWait(transactionTimeout: .seconds(60))
        let (read, _) = wait.start([one, three, five], failedWith: "x", after: .seconds(3), firstTryStarted: start - .seconds(3), at: start)
        let (ready, waited) = wait.succeeded(read, except: [three], at: at(1))
        #expect(ready == [one, five])
        #expect(waited == .seconds(4))
        #expect(wait.waiting == [three: read.number])
        #expect(wait.retry(read) == CommittedOffsetsWait.Read(number: read.number, partitions: [three]))
        guard case .retry(let line?) = wait.failed(read, error: "1 held by an open transaction [UNSTABLE_OFFSET_COMMIT]", at: at(16)) else {
            Issue.record("no reminder for the partition still held")
            return
        }
        #expect(line.hasPrefix("still waiting, 19 s so far, for the committed offsets of orders-3: 1 held by an open transaction"))
        #expect(wait.succeeded(read, at: at(20)) == ([three], .seconds(23)))
        #expect(wait.isEmpty)
    }

    @Test func aReadWhosePartitionsWereAllRevokedIsNotTriedAgain() {
        var wait = CommittedOffsetsWait(transactionTimeout: .seconds(60))
        let (read, _) = wait.start([one], failedWith: "x", after: .seconds(3), firstTryStarted: start - .seconds(3), at: start)
        #expect(wait.revoked([one]) == [one])
        #expect(wait.retry(read) == nil)
        #expect(wait.failed(read, error: "x", at: at(400)) == .retry(log: nil), "nothing to give up on")
        #expect(wait.isEmpty)
    }

    /// A partition revoked and assigned again waits on the newer read: the older one's answer
    /// may predate another owner's commits, so it must not restore the partition.
    @Test func anOlderReadOfAPartitionAssignedAgainIsStale() {
        var wait = CommittedOffsetsWait(transactionTimeout: .seconds(60))
        let (older, _) = wait.start([one, three], failedWith: "x", after: .seconds(3), firstTryStarted: start - .seconds(3), at: start)
        _ = wait.revoked([one])
        let (newer, _) = wait.start([one], failedWith: "x", after: .seconds(3), firstTryStarted: at(10) - .seconds(3), at: at(10))
        #expect(newer.number != older.number)
        #expect(wait.succeeded(older, at: at(20)).partitions == [three])
        #expect(wait.waiting == [one: newer.number])
        #expect(wait.succeeded(newer, at: at(21)) == ([one], .seconds(14)))
    }
}
