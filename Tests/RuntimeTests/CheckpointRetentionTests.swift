import Checkpointing
import Dispatch
import Foundation
import KafkaClient
import KeyedState
import Runtime
import Synchronization
import Testing

/// Retention as the processor runs it: after each commit, on a background thread, while the
/// next checkpoint may already be written.
@Suite struct CheckpointRetentionTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("exactly-retain-\(UUID())").path

    func makeStore(instance: String = "app-0") throws -> CheckpointStore {
        try CheckpointStore(configuration: CheckpointStoreConfiguration(
            directory: directory, application: "app", instance: instance, orphanGracePeriod: 0))
    }

    /// Writes checkpoint `id` holding `partitions` (one key each), blocking.
    func write(
        _ id: CheckpointID, _ store: CheckpointStore, partitions: [Int32] = [0], replay: ReplayLineage? = nil, state: inout PartitionState
    ) throws {
        state.put(Array("\(id)".utf8), for: StateKey(Array("k".utf8)))
        let snapshot = state.captureSnapshot()
        let parts = partitions.map {
            PartitionCheckpoint(partition: PartitionID(topic: "in", partition: $0), snapshot: snapshot, nextOffset: Int64(id.sequence))
        }
        _ = try store.writeAndWait(
            checkpointID: id.description, partitions: parts, descendsFrom: replay?.checkpoint.description, replaySink: replay?.sink)
    }

    func ids(_ store: CheckpointStore) -> [String] {
        store.listCheckpoints().map(\.checkpointID)
    }

    @Test func keepsTheNewestThePinnedAndOtherInstances() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try makeStore()
        var state = PartitionState()
        let mine = (1...5).map { CheckpointID(instance: "app-0", incarnation: 1, sequence: UInt64($0)) }
        for id in mine { try write(id, store, state: &state) }
        let other = CheckpointID(instance: "app-1", incarnation: 1, sequence: 1)
        var otherState = PartitionState()
        try write(other, store, partitions: [1], state: &otherState)

        try store.retain(instance: "app-0", newest: 2, pinned: [mine[0]])

        #expect(Set(ids(store)) == Set([mine[4], mine[3], mine[0], other].map(\.description)))
        // What is kept still restores.
        #expect(try store.restore(TopicPartition("in", 0), from: mine[0]).count == 1)
    }

    @Test func keepsTheNewestCommittedCheckpointOfAPartitionNoLongerWritten() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try makeStore()
        var state = PartitionState()
        let first = CheckpointID(instance: "app-0", incarnation: 1, sequence: 1)
        try write(first, store, partitions: [0, 7], state: &state)  // partition 7 is revoked after this
        try store.markCommitted(first)
        let later = (2...4).map { CheckpointID(instance: "app-0", incarnation: 1, sequence: UInt64($0)) }
        for id in later { try write(id, store, partitions: [0], state: &state) }

        try store.retain(instance: "app-0", newest: 1, pinned: [])

        // Kafka's committed offset of partition 7 still names `first`.
        #expect(Set(ids(store)) == Set([later[2], first].map(\.description)))
    }

    /// A later start with a replay's arguments learns from the store that the replay committed
    /// a partition before (and refuses to replay it again once the application went on without
    /// it): retention must not take that away, however many ordinary checkpoints commit after
    /// the replay. The replay's checkpoint here is another instance's, so it stays in the store
    /// and the replay's command still resolves.
    @Test func keepsEachReplaysNewestCommittedCheckpointPerPartition() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try makeStore()
        var otherState = PartitionState()
        let base = CheckpointID(instance: "app-1", incarnation: 1, sequence: 1)
        try write(base, store, partitions: [0, 1], state: &otherState)
        let replay = ReplayLineage(checkpoint: base, sink: "out")
        let intoAnotherTopic = ReplayLineage(checkpoint: base, sink: "out-2")
        var state = PartitionState()
        var sequence: UInt64 = 0
        func next() -> CheckpointID {
            sequence += 1
            return CheckpointID(instance: "app-0", incarnation: 1, sequence: sequence)
        }
        let replayed = [next(), next()]  // the replay of both partitions, both committed
        for id in replayed {
            try write(id, store, partitions: [0, 1], replay: replay, state: &state)
            try store.markCommitted(id)
        }
        let replayedOnlyPartition1 = next()  // then of partition 1 alone
        try write(replayedOnlyPartition1, store, partitions: [1], replay: replay, state: &state)
        try store.markCommitted(replayedOnlyPartition1)
        let neverCommitted = next()
        try write(neverCommitted, store, partitions: [0, 1], replay: replay, state: &state)
        let second = next()  // the same checkpoint replayed into another topic: another replay
        try write(second, store, partitions: [0], replay: intoAnotherTopic, state: &state)
        try store.markCommitted(second)
        var ordinary: [CheckpointID] = []
        for _ in 1...5 {  // the application goes on without a replay, past `newest`
            let id = next()
            try write(id, store, partitions: [0, 1], state: &state)
            try store.markCommitted(id)
            ordinary.append(id)
        }

        try store.retain(instance: "app-0", newest: 2, pinned: [])

        #expect(Set(ids(store)) == Set([ordinary[4], ordinary[3], base, replayed[1], replayedOnlyPartition1, second].map(\.description)))
        // What the start-up checks of the replay's command look for is still there.
        for (partition, expected) in [(Int32(0), replayed[1]), (1, replayedOnlyPartition1)] {
            let found = try store.candidates(for: TopicPartition("in", partition)).first {
                $0.knownCommitted && store.replayLineage(of: $0.id)?.isSameReplay(as: replay) == true
            }
            #expect(found?.id == expected, "partition \(partition)")
        }
    }

    /// The processor applies retention after a commit while its next checkpoint is being
    /// written. A checkpoint that just became durable must never be removed by a retention
    /// pass that chose what to keep before the checkpoint existed.
    @Test func aCheckpointWrittenDuringRetentionSurvivesIt() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try makeStore()
        let done = Atomic<Bool>(false)
        let retentionPasses = Atomic<Int>(0)
        let retention = DispatchQueue(label: "retention")
        let finished = DispatchSemaphore(value: 0)
        retention.async {
            while !done.load(ordering: .acquiring) {
                try? store.retain(instance: "app-0", newest: 1, pinned: [])
                retentionPasses.add(1, ordering: .relaxed)
            }
            finished.signal()
        }
        var state = PartitionState()
        var missing: [String] = []
        for sequence in 1...60 {
            let id = CheckpointID(instance: "app-0", incarnation: 1, sequence: UInt64(sequence))
            try write(id, store, state: &state)
            // Only a newer checkpoint may replace it; until then it must be there.
            if (try? store.manifest(id.description)) == nil { missing.append(id.description) }
        }
        done.store(true, ordering: .releasing)
        finished.wait()
        #expect(missing.isEmpty, "removed right after being written: \(missing)")
        #expect(retentionPasses.load(ordering: .relaxed) > 0)
    }
}
