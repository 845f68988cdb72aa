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

    /// Lost offsets (expired, deleted): the checks take the newest checkpoint known to have
    /// committed the partition, so a replay from one that never committed is refused for the
    /// input it would skip, and one from an older checkpoint for the outputs it would repeat.
    @Test func lostOffsetsAreTakenFromTheNewestCheckpointKnownToHaveCommitted() {
        let committedOne = CheckpointID(instance: "app-0", incarnation: 1, sequence: 5)
        let candidates = [
            CheckpointCandidate(id: CheckpointID(instance: "app-0", incarnation: 1, sequence: 4), nextOffset: 800, knownCommitted: true),
            CheckpointCandidate(id: committedOne, nextOffset: 1000, knownCommitted: true),
            // Written, never committed (a kill between the manifest and the commit).
            CheckpointCandidate(id: CheckpointID(instance: "app-0", incarnation: 1, sequence: 6), nextOffset: 1500, knownCommitted: false),
            // Committed, but its manifest no longer reads: no offset to go by.
            CheckpointCandidate(id: CheckpointID(instance: "app-1", incarnation: 2, sequence: 9), nextOffset: .max, knownCommitted: true, damage: "manifest unreadable"),
        ]
        let p2 = TopicPartition("orders", 2), p3 = TopicPartition("orders", 3)
        let kafka = [
            p1: PartitionOffset(p1, offset: 700, metadata: OffsetMetadata.encode(CheckpointID(instance: "app-0", incarnation: 1, sequence: 3))),
            // Reset by another program (`kafka-consumer-groups --reset-offsets --to-earliest`).
            p2: PartitionOffset(p2, offset: 0),
            p3: PartitionOffset(p3, offset: 0, metadata: "by hand"),
        ]
        let (offsets, filledIn) = ReplayGuard.committedOrLastKnown(kafka, partitions: [p0, p1, p2, p3]) { partition in
            partition == p3 ? nil : ReplayGuard.lastKnownCommitted(among: candidates)
        }
        #expect(filledIn == [p0, p2])
        #expect(offsets[p0] == PartitionOffset(p0, offset: 1000, metadata: OffsetMetadata.encode(committedOne)))
        #expect(offsets[p1] == kafka[p1], "what an Exactly checkpoint committed is kept")
        #expect(offsets[p2] == PartitionOffset(p2, offset: 1000, metadata: OffsetMetadata.encode(committedOne)))
        #expect(offsets[p3] == nil, "an offset another program set, with no checkpoint known to have committed: nothing to check against")
        #expect(ReplayGuard.gaps(checkpointOffsets: [p0: 1500], committed: offsets) == [ReplayOverlap(partition: p0, from: 1000, to: 1500)])
        #expect(ReplayGuard.overlaps(checkpointOffsets: [p0: 800], committed: offsets) == [ReplayOverlap(partition: p0, from: 800, to: 1000)])
        #expect(ReplayGuard.lastKnownCommitted(among: [candidates[2], candidates[3]]) == nil, "nothing known committed with a known offset")
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
