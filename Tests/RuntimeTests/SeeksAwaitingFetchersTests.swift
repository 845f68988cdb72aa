import KafkaClient
import Testing

@testable import Runtime

@Suite struct SeeksAwaitingFetchersTests {
    let start = ContinuousClock.now
    let one = TopicPartition("orders", 1)
    let three = TopicPartition("orders", 3)
    let refusal = "seek failed: Local: Erroneous state [_STATE]"

    func at(milliseconds: Int) -> ContinuousClock.Instant { start + .milliseconds(milliseconds) }

    @Test func aRefusedSeekIsTriedAgainShortlyWithTheSameStartOffsetsAndSaidOnce() {
        var seeks = SeeksAwaitingFetchers()
        let refused = [PartitionOffset(three, offset: 40), PartitionOffset(one, offset: KafkaConsumer.offsetResetPosition)]
        guard case .retry(let line?) = seeks.refused(refused, error: refusal, at: start) else {
            Issue.record("the first refusal is not logged")
            return
        }
        #expect(line == "orders-1, orders-3: librdkafka cannot move their read position yet, their fetchers starting or stopping (\(refusal)); they are paused and sought again in a moment")
        #expect(seeks.due(at: at(milliseconds: 10)).isEmpty)
        let due = seeks.due(at: at(milliseconds: 20))
        #expect(due == [PartitionOffset(one, offset: KafkaConsumer.offsetResetPosition), PartitionOffset(three, offset: 40)])
        #expect(seeks.isEmpty)
        #expect(seeks.due(at: at(milliseconds: 40)).isEmpty, "a due seek is handed out once")
        #expect(seeks.refused(due, error: refusal, at: at(milliseconds: 21)) == .retry(log: nil), "a refusal in the same wait is not said again")
        #expect(seeks.due(at: at(milliseconds: 41)) == due)
    }

    @Test func aPartitionRevokedWhileWaitingIsNotSoughtAndEndsTheWaitWhenItWasTheLast() {
        var seeks = SeeksAwaitingFetchers()
        _ = seeks.refused([PartitionOffset(one, offset: 7), PartitionOffset(three, offset: 9)], error: refusal, at: start)
        seeks.revoked([one])
        #expect(seeks.due(at: at(milliseconds: 20)) == [PartitionOffset(three, offset: 9)])
        _ = seeks.refused([PartitionOffset(three, offset: 9)], error: refusal, at: at(milliseconds: 20))
        seeks.revoked([three])
        #expect(seeks.isEmpty)
        #expect(seeks.due(at: at(milliseconds: 100)).isEmpty)
        guard case .retry(let line?) = seeks.refused([PartitionOffset(one, offset: 8)], error: refusal, at: at(milliseconds: 200)) else {
            Issue.record("a refusal after the wait ended does not start a new one")
            return
        }
        #expect(line.hasPrefix("orders-1: "))
    }

    @Test func fetchersThatNeverStartStopTheProcessorWithWhatWasAndWasNotDone() {
        var seeks = SeeksAwaitingFetchers()
        _ = seeks.refused([PartitionOffset(one, offset: 7)], error: refusal, at: start)
        var now = start
        while now - start < SeeksAwaitingFetchers.giveUpAfter - .seconds(1) {
            now += .seconds(1)
            let due = seeks.due(at: now)
            #expect(due == [PartitionOffset(one, offset: 7)])
            #expect(seeks.refused(due, error: refusal, at: now) == .retry(log: nil))
        }
        now += .seconds(1)
        guard case .giveUp(let message) = seeks.refused(seeks.due(at: now), error: refusal, at: now) else {
            Issue.record("not given up after \(SeeksAwaitingFetchers.giveUpAfter)")
            return
        }
        #expect(message.hasPrefix("librdkafka has refused for 60 s to move the read position of orders-1 (\(refusal))"))
        #expect(message.contains("nothing of them was processed past their last checkpoint; everything committed stays as it was"))
    }

    @Test func aSeekTakenEndsTheWaitSoALaterRefusalIsSaidAgain() {
        var seeks = SeeksAwaitingFetchers()
        _ = seeks.refused([PartitionOffset(one, offset: 7)], error: refusal, at: start)
        #expect(seeks.due(at: at(milliseconds: 20)) == [PartitionOffset(one, offset: 7)])
        seeks.sought([one])
        let later = seeks.refused([PartitionOffset(three, offset: 1)], error: refusal, at: start + SeeksAwaitingFetchers.giveUpAfter * 2)
        guard case .retry(let line?) = later else {
            Issue.record("a refusal long after a seek was taken does not start a new wait: \(later)")
            return
        }
        #expect(line.hasPrefix("orders-3: "))
    }

    /// A retry that librdkafka takes for some partitions and refuses for others: each
    /// partition's wait is its own, for the give-up and for the log line (found by review).
    @Test func eachPartitionWaitsOnItsOwnClock() {
        var seeks = SeeksAwaitingFetchers()
        _ = seeks.refused([PartitionOffset(one, offset: 7), PartitionOffset(three, offset: 9)], error: refusal, at: start)
        let due = seeks.due(at: at(milliseconds: 20))
        #expect(seeks.refused([due[0]], error: refusal, at: at(milliseconds: 21)) == .retry(log: nil), "orders-1 still waits: said already")
        seeks.sought([three])
        // orders-3 refused again half a minute later: a new wait, said, and not given up with orders-1's.
        guard case .retry(let line?) = seeks.refused([PartitionOffset(three, offset: 9)], error: refusal, at: start + .seconds(30)) else {
            Issue.record("a partition whose seek was taken and is refused again is not said")
            return
        }
        #expect(line.hasPrefix("orders-3: "))
        let dueAtTheEnd = seeks.due(at: start + SeeksAwaitingFetchers.giveUpAfter)
        guard case .giveUp(let message) = seeks.refused(dueAtTheEnd, error: refusal, at: start + SeeksAwaitingFetchers.giveUpAfter) else {
            Issue.record("orders-1 not given up after \(SeeksAwaitingFetchers.giveUpAfter)")
            return
        }
        #expect(message.hasPrefix("librdkafka has refused for 60 s to move the read position of orders-1 ("), "only the partition that waited 60 s: \(message)")
    }

    @Test func librdkafkasCodesForAFetcherBetweenStatesAreTheOnesRetried() {
        #expect(KafkaError(.broker, "seek", rdKafkaCode: -172).isFetcherNotReady)  // _STATE
        #expect(KafkaError(.broker, "seek", rdKafkaCode: -177).isFetcherNotReady)  // _PREV_IN_PROGRESS
        #expect(!KafkaError(.broker, "seek", rdKafkaCode: -190).isFetcherNotReady)  // _UNKNOWN_PARTITION
        #expect(!KafkaError(.timedOut, "seek").isFetcherNotReady)
    }
}
