import KafkaClient
import Runtime
import Testing

@Suite struct ReplayGuardTests {
    let p0 = TopicPartition("orders", 0)
    let p1 = TopicPartition("orders", 1)

    @Test func overlapIsWhereTheCommittedOffsetIsAheadOfTheCheckpoint() {
        let overlaps = ReplayGuard.overlaps(
            checkpointOffsets: [p0: 5000, p1: 25000],
            committed: [p0: PartitionOffset(p0, offset: 25000), p1: PartitionOffset(p1, offset: 25000)]
        )
        #expect(overlaps == [ReplayOverlap(partition: p0, from: 5000, to: 25000)])
        let refusal = ReplayGuard.refusal(checkpoint: CheckpointID(instance: "app-0", incarnation: 1, sequence: 2), sink: "totals", overlaps: overlaps)
        #expect(refusal.contains("orders-0 offsets 5000..<25000"))
        #expect(refusal.contains("--allow-duplicate-output"))
        #expect(refusal.contains("--dry-run"))
    }

    /// A checkpoint ahead of the committed offsets did not commit: a replay from it would skip
    /// the inputs between, whose outputs were aborted (found by a review on 2026-11-26:
    /// `latest` picks the newest checkpoint that verifies, committed or not).
    @Test func aCheckpointAheadOfTheCommittedOffsetsWouldSkipInputAndIsRefused() {
        let gaps = ReplayGuard.gaps(
            checkpointOffsets: [p0: 1500, p1: 900],
            committed: [p0: PartitionOffset(p0, offset: 1000), p1: PartitionOffset(p1, offset: 1000)]
        )
        #expect(gaps == [ReplayOverlap(partition: p0, from: 1000, to: 1500)])
        let refusal = ReplayGuard.refusal(checkpoint: CheckpointID(instance: "app-0", incarnation: 1, sequence: 7), skipping: gaps, named: ["app-0-1.6"])
        #expect(refusal.hasPrefix("checkpoint app-0-1.7 is ahead of what Kafka committed (its transaction did not commit, or the committed offsets were moved back since): replaying it would skip orders-0 offsets 1000..<1500"))
        #expect(refusal.contains("Kafka's committed offsets name app-0-1.6"))
        #expect(refusal.contains("start without --replay-from-checkpoint"))
        #expect(ReplayGuard.gaps(checkpointOffsets: [p0: 1500], committed: [:]).isEmpty, "lost offsets are what a replay is for")
        #expect(ReplayGuard.gaps(checkpointOffsets: [p0: 1000], committed: [p0: PartitionOffset(p0, offset: 1000)]).isEmpty)
    }

    @Test func nothingCommittedMeansNoOverlap() {
        #expect(ReplayGuard.overlaps(checkpointOffsets: [p0: 10], committed: [:]).isEmpty)
    }

    @Test func sourceHeaderRoundTripsTopicsWithSlashesAndDots() {
        let value = SourceHeader.value(TopicPartition("eu.orders", 7), offset: 123_456)
        let parsed = SourceHeader.parse(value)
        #expect(parsed?.partition == TopicPartition("eu.orders", 7))
        #expect(parsed?.offset == 123_456)
        #expect(SourceHeader.parse(Array("garbage".utf8)) == nil)
        #expect(String(decoding: SourceHeader.value(TopicPartition("t", 0), offset: 0), as: UTF8.self) == "t/0/0")
        #expect(String(decoding: SourceHeader.value(TopicPartition("t", 12), offset: 9_007_199_254_740_993), as: UTF8.self) == "t/12/9007199254740993")
        #expect(String(decoding: SourceHeader.value(TopicPartition("t", 1), offset: -1), as: UTF8.self) == "t/1/-1")
        #expect(String(decoding: SourceHeader.value(TopicPartition("t", 1), offset: .max), as: UTF8.self) == "t/1/\(Int64.max)")
        #expect(String(decoding: SourceHeader.value(TopicPartition("t", 1), offset: .min), as: UTF8.self) == "t/1/\(Int64.min)")
    }
}
