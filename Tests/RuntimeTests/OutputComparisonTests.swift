import Testing

@testable import Runtime

/// The `--dry-run` comparison of one partition's committed outputs with the replay's, without
/// Kafka: counts, the first differing offset, and multiset matching per input offset.
@Suite struct OutputComparisonTests {
    private func compare(committed: [(Int64, Int)], replayed: [(Int64, [Int])]) -> OutputComparison {
        var comparison = OutputComparison(committed: committed.map { (offset: $0.0, digest: $0.1) })
        for (offset, digests) in replayed { comparison.replayed(offset: offset, sortedDigests: digests.sorted()) }
        comparison.finish()
        return comparison
    }

    @Test func theSameOutputsInAnyOrderMatch() {
        // Committed in sink order (interleaved from several sink partitions), replayed in input order.
        let comparison = compare(
            committed: [(12, 7), (10, 1), (11, 3), (11, 2), (10, 9)],
            replayed: [(10, [9, 1]), (11, [2, 3]), (12, [7])])
        #expect(comparison.matching == 5)
        #expect(comparison.onlyCommitted == 0)
        #expect(comparison.onlyReplayed == 0)
        #expect(comparison.firstDifference == nil)
    }

    @Test func aChangedValueCountsOnBothSidesAtItsOffset() {
        let comparison = compare(committed: [(10, 1), (11, 2), (12, 3)], replayed: [(10, [1]), (11, [5]), (12, [3])])
        #expect(comparison.matching == 2)
        #expect(comparison.onlyCommitted == 1)
        #expect(comparison.onlyReplayed == 1)
        #expect(comparison.firstDifference == 11)
    }

    @Test func aDuplicateNeedsItsOwnTwin() {
        let moreReplayed = compare(committed: [(10, 4)], replayed: [(10, [4, 4])])
        #expect(moreReplayed.matching == 1)
        #expect(moreReplayed.onlyReplayed == 1)
        let moreCommitted = compare(committed: [(10, 4), (10, 4)], replayed: [(10, [4])])
        #expect(moreCommitted.matching == 1)
        #expect(moreCommitted.onlyCommitted == 1)
        #expect(moreCommitted.firstDifference == 10)
    }

    @Test func committedOutputsOfRecordsTheReplayNeverReachedOrSkippedAreMissing() {
        // 11 was skipped (a transaction marker on the replay's side, say); 14 is past the replay's end.
        let comparison = compare(committed: [(10, 1), (11, 2), (12, 3), (14, 4)], replayed: [(10, [1]), (12, [3])])
        #expect(comparison.matching == 2)
        #expect(comparison.onlyCommitted == 2)
        #expect(comparison.onlyReplayed == 0)
        #expect(comparison.firstDifference == 11)
    }

    @Test func aCommittedOutputPassedOverAndAnExtraAfterItBothCount() {
        // The committed output of 11 is counted missing only when the replay passes it, at 12,
        // where the replay also makes an output without a twin: 11 is the first difference.
        let comparison = compare(committed: [(11, 2), (20, 5)], replayed: [(12, [8]), (20, [5])])
        #expect(comparison.firstDifference == 11)
        #expect(comparison.onlyCommitted == 1)
        #expect(comparison.onlyReplayed == 1)
        #expect(comparison.matching == 1)
    }

    @Test func aRecordGivenAgainOrOutOfOrderCountsAsReplayedOnlyAndTheLowestDifferenceIsReported() {
        // 10 again after 12: its committed twin was taken the first time. Then 11, below the
        // difference already found at 12.
        let comparison = compare(
            committed: [(10, 1), (12, 3)],
            replayed: [(10, [1]), (12, [5]), (10, [1]), (11, [7])])
        #expect(comparison.matching == 1)
        #expect(comparison.onlyCommitted == 1)  // 3 at 12
        #expect(comparison.onlyReplayed == 3)  // 5 at 12, 1 at 10 again, 7 at 11
        #expect(comparison.firstDifference == 10)
    }

    @Test func aRecordWithoutOutputsMatchesACommittedRecordWithoutOutputs() {
        let comparison = compare(committed: [(12, 3)], replayed: [(10, []), (11, []), (12, [3])])
        #expect(comparison.matching == 1)
        #expect(comparison.firstDifference == nil)
        let nothingCommitted = compare(committed: [], replayed: [(10, [1])])
        #expect(nothingCommitted.onlyReplayed == 1)
        #expect(nothingCommitted.firstDifference == 10)
    }
}
