import KafkaClient
import Testing

@testable import Runtime

/// How a partition assigned during a replay starts, decided from what Kafka committed for it.
struct ReplayStartTests {
    let partition = TopicPartition("orders", 2)
    let replay = ReplayLineage(checkpoint: CheckpointID(instance: "order-totals-0", incarnation: 3, sequence: 40), sink: "totals-v2")

    func decide(
        committed: PartitionOffset?, checked: PartitionOffset?, byThisReplay: Bool = false, resumedAtStart: Bool = false,
        inCheckpoint: Bool = true, checkpointOffset: Int64? = 700
    ) -> ReplayStart {
        ReplayStart.decide(
            partition, replaying: replay, inCheckpoint: inCheckpoint, checkpointOffset: checkpointOffset,
            committed: committed, checked: checked, committedByThisReplay: byThisReplay, resumedAtStart: resumedAtStart)
    }

    func committed(_ offset: Int64, checkpoint sequence: UInt64, incarnation: UInt32 = 3) -> PartitionOffset {
        PartitionOffset(partition, offset: offset, metadata: OffsetMetadata.encode(CheckpointID(instance: "order-totals-0", incarnation: incarnation, sequence: sequence)))
    }

    /// The first assignment, or one after the replay lost the partition before its first
    /// commit: Kafka holds what the start-up checks read, so the partition is replayed (again).
    @Test func aPartitionWhoseCommittedOffsetIsAsCheckedIsReplayed() {
        let checked = committed(900, checkpoint: 45)
        #expect(decide(committed: checked, checked: checked) == .replay(from: 700))
        // Nothing committed then, nothing now (offsets lost, say).
        #expect(decide(committed: nil, checked: nil) == .replay(from: 700))
    }

    /// A checkpoint of the replay committed the partition (this process before a revocation,
    /// another instance started with the same arguments, or this one before a restart): it is
    /// not replayed again.
    @Test func aPartitionTheReplayCommittedAlreadyIsRecoveredAsUsual() {
        let decision = decide(committed: committed(1_200, checkpoint: 2, incarnation: 4), checked: committed(900, checkpoint: 45), byThisReplay: true)
        guard case .recoverAsUsual(let reason) = decision else {
            Issue.record("a partition the replay committed must not be replayed again: \(decision)")
            return
        }
        #expect(reason == "the replay of checkpoint order-totals-0-3.40 into `totals-v2` committed it already (offset 1200): it resumes from there")
        // Even when the checkpoint is gone by now: the replay no longer needs it there.
        #expect(decide(committed: committed(1_200, checkpoint: 2, incarnation: 4), checked: nil, byThisReplay: true, checkpointOffset: nil) == decision)
        // And when the manifest that says so cannot be read now, as long as the start-up checks
        // found it and nothing moved since: never replayed twice for want of a file read.
        let resumedThen = committed(1_200, checkpoint: 2, incarnation: 4)
        #expect(decide(committed: resumedThen, checked: resumedThen, resumedAtStart: true) == decision)
    }

    /// Another instance ran on without the replay and committed past what the start-up checks
    /// read: replaying would write outputs nobody checked (or confirmed), so the processor stops.
    @Test func aCommittedOffsetMovedSinceTheChecksStopsTheProcessorNamingBoth() {
        let decision = decide(committed: committed(1_000, checkpoint: 46), checked: committed(900, checkpoint: 45))
        guard case .stop(let message) = decision else {
            Issue.record("a committed offset that moved since the checks must stop the processor: \(decision)")
            return
        }
        #expect(message.hasPrefix(
            "orders-2: its committed offset moved since the replay of checkpoint order-totals-0-3.40 into `totals-v2` was checked (from 900, checkpoint order-totals-0-3.45 to 1000, checkpoint order-totals-0-3.46)"),
            "\(message)")
        #expect(message.contains("If the replay is over and the application runs as usual again, start this instance without --replay-from-checkpoint"), "\(message)")
        // Offsets that appeared, or that were set by another tool, count as moved too.
        for (now, then) in [(committed(10, checkpoint: 1), nil), (PartitionOffset(partition, offset: 0), committed(900, checkpoint: 45))] {
            guard case .stop(let message) = decide(committed: now, checked: then) else {
                Issue.record("\(now) against \(String(describing: then)) must stop the processor")
                continue
            }
            #expect(message.contains(then == nil ? "(from none to 10, checkpoint" : "to 0)"), "\(message)")
        }
    }

    /// A partition added since the checkpoint is not replayed; one the checkpoint holds but the
    /// store can no longer read (another instance's retention deleted it, or it is damaged) stops
    /// the processor: recovering it as usual would leave the replay's topic without its outputs.
    @Test func aPartitionTheCheckpointHoldsButCannotBeReadStopsTheProcessor() {
        let checked = committed(900, checkpoint: 45)
        guard case .recoverAsUsual(let reason) = decide(committed: checked, checked: checked, inCheckpoint: false, checkpointOffset: nil) else {
            Issue.record("a partition the checkpoint does not hold is recovered as usual")
            return
        }
        #expect(reason == "not in checkpoint order-totals-0-3.40")
        guard case .stop(let message) = decide(committed: checked, checked: checked, checkpointOffset: nil) else {
            Issue.record("a partition of the checkpoint that cannot be read must stop the processor")
            return
        }
        #expect(message.hasPrefix("orders-2: checkpoint order-totals-0-3.40 holds it but can no longer be read"), "\(message)")
    }

    /// The same checkpoint replayed into another topic is another replay; one recorded without
    /// its topic is no known replay.
    @Test func aReplayIsItsCheckpointAndItsTopic() {
        let checkpoint = replay.checkpoint
        #expect(ReplayLineage(checkpoint: checkpoint, sink: "totals-v2").isSameReplay(as: replay))
        #expect(!ReplayLineage(checkpoint: checkpoint, sink: "totals-v3").isSameReplay(as: replay))
        #expect(!ReplayLineage(checkpoint: CheckpointID(instance: "order-totals-0", incarnation: 3, sequence: 41), sink: "totals-v2").isSameReplay(as: replay))
        // An older exactly did not record the topic: not taken for this replay (the command line
        // refuses to guess).
        #expect(!ReplayLineage(checkpoint: checkpoint, sink: nil).isSameReplay(as: replay))
    }
}
