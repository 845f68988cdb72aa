import KafkaClient
import Testing

@testable import Runtime

@Suite struct StoppedFetchersTests {
    let start = ContinuousClock.now
    let one = TopicPartition("orders", 1)
    let two = TopicPartition("orders", 2)

    @Test func eachNewlyStoppedPartitionGetsOneReadUntilItIsStartedAgain() {
        var fetchers = StoppedFetchers()
        let reads = fetchers.reported([two: 40, one: 7])
        #expect(reads.map(\.partition) == [one, two])
        #expect(reads.map(\.reported) == [7, 40])
        #expect(fetchers.isStopped(one) && fetchers.isStopped(two))
        #expect(fetchers.reported([one: 9]).isEmpty, "a read is under way for it")
        #expect(reads.allSatisfy(fetchers.isCurrent))
        fetchers.restarted(one, atItsOwnPosition: false, at: start)
        #expect(!fetchers.isStopped(one))
        #expect(!fetchers.isCurrent(reads[0]), "a read for a partition started again is stale")
        let again = fetchers.reported([one: 9])
        #expect(again.count == 1 && again[0].number != reads[0].number)
    }

    /// An abort's rollback asks to seek a stopped partition inside a poll: the latest ask is
    /// kept for the loop, which restarts it there.
    @Test func seeksAskedForWhileStoppedAreTakenOnceTheLatestWinning() {
        var fetchers = StoppedFetchers()
        _ = fetchers.reported([one: 7])
        fetchers.want(one, at: 5)
        fetchers.want(one, at: 3)
        #expect(fetchers.takeWanted() == [PartitionOffset(one, offset: 3)])
        #expect(fetchers.takeWanted().isEmpty)
    }

    @Test func restartsAtTheirOwnPositionAreCountedForAMinute() {
        var fetchers = StoppedFetchers()
        for second in 0..<3 {
            _ = fetchers.reported([one: 7])
            fetchers.restarted(one, atItsOwnPosition: true, at: start + .seconds(second))
        }
        _ = fetchers.reported([one: 7])
        fetchers.restarted(one, atItsOwnPosition: false, at: start + .seconds(3))
        #expect(fetchers.recentRestarts(of: one, at: start + .seconds(10)) == 3, "a skip or a processor's seek is not counted")
        #expect(fetchers.recentRestarts(of: one, at: start + .seconds(61)) == 1)
        #expect(fetchers.recentRestarts(of: one, at: start + .seconds(200)) == 0)
    }

    /// An abort before the next checkpoint rolls a partition back below the log's start, and
    /// the same records are skipped again: counted once.
    @Test func recordsSkippedAgainAreCountedOnce() {
        var fetchers = StoppedFetchers()
        #expect(fetchers.newlySkipped(one, upTo: 150, from: 100) == 50)
        #expect(fetchers.newlySkipped(one, upTo: 150, from: 100) == 0)
        #expect(fetchers.newlySkipped(one, upTo: 170, from: 90) == 20, "only what lies past the records counted before")
        #expect(fetchers.newlySkipped(two, upTo: 10, from: 0) == 10)
        fetchers.forget([one])
        #expect(fetchers.newlySkipped(one, upTo: 170, from: 160) == 10)
    }

    @Test func revokedOrReassignedPartitionsAreForgotten() {
        var fetchers = StoppedFetchers()
        let reads = fetchers.reported([one: 7, two: 8])
        fetchers.want(one, at: 3)
        fetchers.restarted(two, atItsOwnPosition: true, at: start)
        fetchers.forget([one, two])
        #expect(fetchers.isEmpty)
        #expect(!fetchers.isCurrent(reads[0]))
        #expect(fetchers.takeWanted().isEmpty)
        #expect(fetchers.recentRestarts(of: two, at: start) == 0)
    }
}
