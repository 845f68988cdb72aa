import KafkaClient
import Runtime
import Testing

@Suite struct RecoveryPlannerTests {
    let partition = TopicPartition("orders", 3)

    func id(_ sequence: UInt64, _ instance: String = "app-0") -> CheckpointID { CheckpointID(instance: instance, sequence: sequence) }
    func committed(_ offset: Int64, naming checkpoint: CheckpointID) -> PartitionOffset {
        PartitionOffset(partition, offset: offset, metadata: OffsetMetadata.encode(checkpoint))
    }

    @Test func restoresTheCheckpointTheCommittedOffsetNames() {
        // Checkpoint 8 is on disk and newer, but its transaction never committed: Kafka names 7.
        let plan = RecoveryPlanner.plan(for: partition, committed: committed(700, naming: id(7)), candidates: [
            CheckpointCandidate(id: id(6), nextOffset: 600, knownCommitted: true),
            CheckpointCandidate(id: id(7), nextOffset: 700, knownCommitted: true),
            CheckpointCandidate(id: id(8), nextOffset: 800, knownCommitted: false),
        ])
        #expect(plan == .restore(id(7), offset: 700))
    }

    @Test func crashBeforeTheFirstCommitStartsFresh() {
        let plan = RecoveryPlanner.plan(for: partition, committed: nil, candidates: [
            CheckpointCandidate(id: id(1), nextOffset: 100, knownCommitted: false),
        ])
        #expect(plan == .freshStart)
        #expect(RecoveryPlanner.plan(for: partition, committed: nil, candidates: []) == .freshStart)
    }

    /// A committed checkpoint whose manifest is unreadable (the store lists it at offset
    /// `.max`) may or may not hold the partition: the refusal says so, not "at offset
    /// 9223372036854775807" (found by a review).
    @Test func aCommittedButUnreadableCheckpointIsNamedAsSuchWhenNoOffsetIsCommitted() {
        let plan = RecoveryPlanner.plan(for: partition, committed: nil, candidates: [
            CheckpointCandidate(id: id(5), nextOffset: .max, knownCommitted: true, damage: "manifest checksum mismatch"),
        ])
        guard case .refuse(let message) = plan else {
            Issue.record("expected a refusal, got \(plan)")
            return
        }
        #expect(message.hasPrefix("orders-3 has no committed offset in Kafka, and checkpoint app-0-5, which did commit, cannot be read (manifest checksum mismatch)"))
        #expect(!message.contains("\(Int64.max)"))
        #expect(message.contains("if the partition is new (never processed), move that manifest away"))
    }

    @Test func lostOffsetsAreRefusedNotRestartedFromScratch() {
        let plan = RecoveryPlanner.plan(for: partition, committed: nil, candidates: [
            CheckpointCandidate(id: id(4), nextOffset: 400, knownCommitted: true),
        ])
        guard case .refuse(let message) = plan else {
            Issue.record("expected a refusal, got \(plan)")
            return
        }
        #expect(message.contains("orders-3"))
        #expect(message.contains("app-0-4"))
        #expect(message.contains("--replay-from-checkpoint app-0-4"))
    }

    @Test func damagedNamedCheckpointFallsBackAndReplaysMuted() {
        let plan = RecoveryPlanner.plan(for: partition, committed: committed(700, naming: id(7)), candidates: [
            CheckpointCandidate(id: id(5), nextOffset: 500, knownCommitted: true),
            CheckpointCandidate(id: id(6), nextOffset: 600, knownCommitted: true, damage: "state file crc mismatch"),
            CheckpointCandidate(id: id(7), nextOffset: 700, knownCommitted: true, damage: "manifest checksum 0x1f2e != 0x9a41"),
        ])
        guard case .restoreAndReplayMuted(let checkpoint, let from, let until, let because) = plan else {
            Issue.record("expected a muted replay, got \(plan)")
            return
        }
        #expect(checkpoint == id(5))
        #expect(from == 500)
        #expect(until == 700)
        #expect(because.contains("0x1f2e"))
    }

    @Test func missingNamedCheckpointFallsBackAcrossInstances() {
        // The partition moved from instance 1 to instance 0; instance 0's checkpoint is gone.
        let plan = RecoveryPlanner.plan(for: partition, committed: committed(900, naming: id(3)), candidates: [
            CheckpointCandidate(id: id(12, "app-1"), nextOffset: 850, knownCommitted: true),
            CheckpointCandidate(id: id(2), nextOffset: 300, knownCommitted: true),
        ])
        #expect(plan == .restoreAndReplayMuted(id(12, "app-1"), from: 850, mutedUntil: 900, because: "checkpoint app-0-3 named by the committed offset is missing from the store"))
    }

    @Test func offsetMismatchIsTreatedAsDamage() {
        let plan = RecoveryPlanner.plan(for: partition, committed: committed(700, naming: id(7)), candidates: [
            CheckpointCandidate(id: id(7), nextOffset: 650, knownCommitted: true),
        ])
        guard case .refuse(let message) = plan else {
            Issue.record("expected a refusal, got \(plan)")
            return
        }
        #expect(message.contains("records offset 650 for orders-3 but Kafka committed 700"))
    }

    @Test func noUsableCheckpointRefusesNamingPartitionOffsetAndCheckpoint() {
        let plan = RecoveryPlanner.plan(for: partition, committed: committed(700, naming: id(7)), candidates: [
            CheckpointCandidate(id: id(6), nextOffset: 600, knownCommitted: true, damage: "truncated"),
            CheckpointCandidate(id: id(9), nextOffset: 900, knownCommitted: false),
        ])
        guard case .refuse(let message) = plan else {
            Issue.record("expected a refusal, got \(plan)")
            return
        }
        #expect(message.contains("orders-3"))
        #expect(message.contains("offset 700"))
        #expect(message.contains("app-0-7"))
        #expect(message.contains("damaged: app-0-6"))
        #expect(message.contains("Options"))
    }

    @Test func foreignOffsetsAreRefused() {
        let plan = RecoveryPlanner.plan(for: partition, committed: PartitionOffset(partition, offset: 10, metadata: ""), candidates: [])
        guard case .refuse(let message) = plan else {
            Issue.record("expected a refusal, got \(plan)")
            return
        }
        #expect(message.contains("another program committed offsets"))
    }

    @Test func metadataRoundTrips() {
        #expect(OffsetMetadata.decode(OffsetMetadata.encode(id(42, "orders-eu-1"))) == .checkpoint(id(42, "orders-eu-1")))
        #expect(OffsetMetadata.decode("checkpoint=app-0-1") == .foreign("checkpoint=app-0-1"))
    }
}
