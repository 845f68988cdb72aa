import KafkaClient
import Testing

@testable import Runtime

/// How a partition assigned during a replay starts, decided from what Kafka committed for it.
struct ReplayStartTests {
    let partition = TopicPartition("orders", 2)
    let replay = CheckpointID(instance: "order-totals-0", incarnation: 3, sequence: 40)

    func committed(_ offset: Int64, checkpoint sequence: UInt64, incarnation: UInt32 = 3) -> PartitionOffset {
        PartitionOffset(partition, offset: offset, metadata: OffsetMetadata.encode(CheckpointID(instance: "order-totals-0", incarnation: incarnation, sequence: sequence)))
    }

    /// The first assignment, or one after the replay lost the partition before its first
    /// commit: Kafka holds what the start-up checks read, so the partition is replayed (again).
    @Test func aPartitionWhoseCommittedOffsetIsAsCheckedIsReplayed() {
        let checked = committed(900, checkpoint: 45)
        #expect(ReplayStart.decide(partition, replaying: replay, committed: checked, checked: checked, committedDescendsFromReplay: false) == .replay)
        // Nothing committed then, nothing now (offsets lost, say).
        #expect(ReplayStart.decide(partition, replaying: replay, committed: nil, checked: nil, committedDescendsFromReplay: false) == .replay)
    }

    /// A checkpoint of the replay committed the partition (this process before a revocation,
    /// another instance started with the same arguments, or this one before a restart): it is
    /// not replayed again.
    @Test func aPartitionTheReplayCommittedAlreadyIsRecoveredAsUsual() {
        let decision = ReplayStart.decide(
            partition, replaying: replay, committed: committed(1_200, checkpoint: 2, incarnation: 4), checked: committed(900, checkpoint: 45),
            committedDescendsFromReplay: true)
        guard case .recoverAsUsual(let reason) = decision else {
            Issue.record("a partition the replay committed must not be replayed again: \(decision)")
            return
        }
        #expect(reason == "replayed already: its committed offset 1200 is of a checkpoint that descends from order-totals-0-3.40")
    }

    /// Another instance ran on without the replay and committed past what the start-up checks
    /// read: replaying would write outputs nobody checked (or confirmed), so the processor stops.
    @Test func aCommittedOffsetMovedSinceTheChecksStopsTheProcessorNamingBoth() {
        let decision = ReplayStart.decide(
            partition, replaying: replay, committed: committed(1_000, checkpoint: 46), checked: committed(900, checkpoint: 45),
            committedDescendsFromReplay: false)
        guard case .stop(let message) = decision else {
            Issue.record("a committed offset that moved since the checks must stop the processor: \(decision)")
            return
        }
        #expect(message.hasPrefix(
            "orders-2: its committed offset moved since the replay from checkpoint order-totals-0-3.40 was checked (from 900, checkpoint order-totals-0-3.45 to 1000, checkpoint order-totals-0-3.46)"),
            "\(message)")
        #expect(message.contains("Stop every instance of the application, then run the replay again"), "\(message)")
        // Offsets that appeared, or that were set by another tool, count as moved too.
        for (now, then) in [(committed(10, checkpoint: 1), nil), (PartitionOffset(partition, offset: 0), committed(900, checkpoint: 45))] {
            guard case .stop(let message) = ReplayStart.decide(partition, replaying: replay, committed: now, checked: then, committedDescendsFromReplay: false) else {
                Issue.record("\(now) against \(String(describing: then)) must stop the processor")
                continue
            }
            #expect(message.contains(then == nil ? "(from none to 10, checkpoint" : "to 0)"), "\(message)")
        }
    }
}
