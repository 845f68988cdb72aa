import KafkaClient
import Testing

@testable import Runtime

/// What a `--dry-run` concludes for one partition, from its counts: a match, a difference
/// (exit 3), or no conclusion (exit 4) when the sink holds outputs no input can claim.
@Suite struct ReplayAuditEntryTests {
    private func entry(matching: Int, onlyCommitted: Int, onlyReplayed: Int, unattributed: Int, committedUpTo: Int64? = 100) -> ReplayAuditEntry {
        ReplayAuditEntry(
            partition: TopicPartition("orders", 0), from: 50, to: 150, outputs: matching + onlyReplayed, deadLetters: 0,
            committedUpTo: committedUpTo, matching: matching, onlyCommitted: onlyCommitted, onlyReplayed: onlyReplayed,
            firstDifference: onlyCommitted + onlyReplayed > 0 ? 60 : nil, unattributedCommitted: unattributed)
    }

    /// Inputs retention removed before a dry run are named, not left to look like a difference.
    @Test func inputsNoLongerInTheLogAreNamed() {
        var gone = entry(matching: 30, onlyCommitted: 0, onlyReplayed: 0, unattributed: 0)
        gone.readFrom = 70
        #expect(gone.description.contains("offsets 50..<70 are NO LONGER IN THE LOG"), "\(gone)")
        #expect(gone.description.contains("for 50..<100 they match the 30 committed outputs"), "\(gone)")
        #expect(!entry(matching: 50, onlyCommitted: 0, onlyReplayed: 0, unattributed: 0).description.contains("NO LONGER"))
    }

    @Test func withEveryOutputAttributedTheCountsDecide() {
        #expect(entry(matching: 50, onlyCommitted: 0, onlyReplayed: 0, unattributed: 0).isComparable)
        #expect(!entry(matching: 50, onlyCommitted: 0, onlyReplayed: 0, unattributed: 0).differs)
        #expect(entry(matching: 40, onlyCommitted: 0, onlyReplayed: 10, unattributed: 0).differs)
        #expect(entry(matching: 40, onlyCommitted: 10, onlyReplayed: 0, unattributed: 0).differs)
    }

    @Test func unattributedOutputsLeaveAMatchOrAMissingTwinUndecided() {
        // The replay made nothing in the range, or everything it made matched: the outputs
        // without a source header may still be committed outputs of these inputs.
        let nothingReplayed = entry(matching: 0, onlyCommitted: 0, onlyReplayed: 0, unattributed: 20)
        #expect(!nothingReplayed.isComparable)
        #expect(!nothingReplayed.differs)
        #expect(nothingReplayed.description.contains("CANNOT BE COMPARED"))
        #expect(!entry(matching: 50, onlyCommitted: 0, onlyReplayed: 0, unattributed: 1).isComparable)
        // As many replayed outputs without a twin as there are unattributed outputs: they may be those.
        #expect(!entry(matching: 0, onlyCommitted: 0, onlyReplayed: 20, unattributed: 20).isComparable)
    }

    @Test func aCertainDifferenceIsReportedWhateverTheUnattributedOutputs() {
        // More replayed outputs without a twin than unattributed outputs in the whole sink.
        let tooMany = entry(matching: 40, onlyCommitted: 0, onlyReplayed: 10, unattributed: 1)
        #expect(tooMany.isComparable)
        #expect(tooMany.differs)
        #expect(tooMany.description.contains("DIFFER"))
        // A committed output with a source header in the range that the replay did not make.
        #expect(entry(matching: 40, onlyCommitted: 1, onlyReplayed: 0, unattributed: 500).differs)
    }

    /// The sink no longer holds all its outputs: replayed outputs without a committed twin may
    /// have had one among the removed records, up to as many as were removed.
    @Test func aSinkThatNoLongerHoldsAllItsOutputsLeavesAMissingTwinUndecided() {
        var identical = entry(matching: 30, onlyCommitted: 0, onlyReplayed: 20, unattributed: 0)
        identical.sinkTrimmedBelow = [TopicPartition("totals", 0): 12, TopicPartition("totals", 2): 30]
        #expect(!identical.isComparable && !identical.differs, "\(identical)")
        #expect(identical.description.contains("they CANNOT BE COMPARED with the committed output: the sink NO LONGER HOLDS ALL ITS OUTPUTS "
            + "(totals-0 starts at offset 12, totals-2 starts at offset 30: retention or a DeleteRecords removed the records below), "
            + "and any of those 42 records may have been outputs of these inputs; 30 replayed outputs match, 20 have no twin in what the sink holds"),
            "\(identical)")
        // A committed output the replay did not make is a difference whatever was removed.
        var missing = entry(matching: 30, onlyCommitted: 1, onlyReplayed: 20, unattributed: 0)
        missing.sinkTrimmedBelow = identical.sinkTrimmedBelow
        #expect(missing.differs)
        #expect(missing.description.contains("DIFFER") && missing.description.contains("some may have twins the sink no longer holds"), "\(missing)")
        // More replayed outputs without a twin than records removed.
        var tooMany = entry(matching: 30, onlyCommitted: 0, onlyReplayed: 43, unattributed: 0)
        tooMany.sinkTrimmedBelow = identical.sinkTrimmedBelow
        #expect(tooMany.differs)
        // Removed and unattributed outputs add up.
        var both = entry(matching: 30, onlyCommitted: 0, onlyReplayed: 43, unattributed: 1)
        both.sinkTrimmedBelow = identical.sinkTrimmedBelow
        #expect(!both.isComparable && both.description.contains("header naming a source") && both.description.contains("NO LONGER HOLDS"), "\(both)")
    }

    /// A compacted sink may have dropped any output, and how many is unknown: only a committed
    /// output the replay did not make is a certain difference.
    @Test func aCompactedSinkLeavesEverythingButAMissingReplayUndecided() {
        for (matching, onlyReplayed) in [(50, 0), (30, 20), (0, 500)] {
            var compacted = entry(matching: matching, onlyCommitted: 0, onlyReplayed: onlyReplayed, unattributed: 0)
            compacted.sinkCompacted = true
            #expect(!compacted.isComparable && !compacted.differs, "\(compacted)")
            #expect(compacted.description.contains("CANNOT BE COMPARED with the committed output: the sink is COMPACTED (its `cleanup.policy` includes `compact`)"), "\(compacted)")
        }
        var missing = entry(matching: 30, onlyCommitted: 2, onlyReplayed: 20, unattributed: 0)
        missing.sinkCompacted = true
        #expect(missing.differs && missing.description.contains("some may have twins the sink no longer holds"), "\(missing)")
    }

    @Test func withoutACommittedRangeThereIsNothingToCompare() {
        let fresh = entry(matching: 0, onlyCommitted: 0, onlyReplayed: 0, unattributed: 20, committedUpTo: nil)
        #expect(fresh.isComparable)
        #expect(!fresh.differs)
    }
}
