import Checkpointing
import Dispatch
import KafkaClient
import KeyedState

/// The `Checkpointing` store as the processor uses it. The store names checkpoints by string
/// and partitions by `PartitionID`; the runtime by ``CheckpointID`` and `TopicPartition`.
extension CheckpointStore: CheckpointStorage {
    public func claimIncarnation(instance: String) throws -> UInt32 {
        try claimIncarnationAndWait(instance: instance)
    }

    public func write(
        _ id: CheckpointID,
        parent: CheckpointID?,
        replay: ReplayLineage?,
        partitions: [PartitionCheckpoint],
        completion: @escaping @Sendable (Result<Void, any Error>) -> Void
    ) {
        // The store serializes writes on its own queue; this thread only waits for it, so the
        // processing thread never does. A serial queue of its own: it runs on an overcommit
        // thread, never starved by a global pool full of blocked work.
        DispatchQueue(label: "exactly.checkpoint.write-waiter").async {
            completion(Result {
                // The store folds the snapshots right after writing them, in write order: each
                // fold starts from the one before, and the states adopt them at a later capture.
                _ = try self.writeAndWait(
                    checkpointID: id.description, partitions: partitions, descendsFrom: replay?.checkpoint.description, replaySink: replay?.sink)
            })
        }
    }

    public func markCommitted(_ id: CheckpointID) throws {
        try markCommittedAndWait(id.description)
    }

    public func discard(_ id: CheckpointID) throws {
        try discardAndWait(id.description)
    }

    public func replayLineage(of id: CheckpointID) -> ReplayLineage? {
        (try? manifest(id.description)).flatMap(ReplayLineage.init(recordedIn:))
    }

    public func candidates(for partition: TopicPartition) throws -> [CheckpointCandidate] {
        let key = PartitionID(partition)
        let committed = committedCheckpointIDs()
        return listCheckpoints().compactMap { listing in
            guard let id = CheckpointID(listing.checkpointID) else { return nil }
            guard let manifest = listing.manifest else {
                // Unreadable: it cannot be restored, but recovery must learn that the checkpoint
                // Kafka names is damaged rather than missing.
                return CheckpointCandidate(
                    id: id, nextOffset: .max, knownCommitted: committed.contains(listing.checkpointID),
                    damage: listing.problem.map { "\($0)" } ?? "manifest unreadable"
                )
            }
            guard let entry = manifest.partition(key) else { return nil }
            // Files are verified when restored (restore reads and checks every byte once);
            // the processor re-plans if that fails.
            return CheckpointCandidate(
                id: id, nextOffset: entry.nextOffset, knownCommitted: committed.contains(listing.checkpointID), forks: entry.history,
                createdAtMilliseconds: manifest.createdAtMilliseconds, replay: ReplayLineage(recordedIn: manifest))
        }
    }

    public func restore(_ partition: TopicPartition, from id: CheckpointID) throws -> PartitionState {
        try restore(PartitionID(partition), from: id.description).state
    }

    public func retain(instance: String, newest: Int, pinned: Set<CheckpointID>) throws {
        // Chosen on the store's queue: a checkpoint written while the processor goes on is
        // either seen here (and kept as the newest) or written after the removal.
        _ = try applyRetentionAndWait { listings in
            Self.retained(listings, committed: self.committedCheckpointIDs(), instance: instance, newest: newest, pinned: pinned)
        }
    }

    /// The checkpoints retention keeps: `pinned`, the newest `newest` of `instance`, every other
    /// instance's, per partition the newest one and the newest committed one holding it, and per
    /// replay and partition the newest committed checkpoint of the replay holding it.
    ///
    /// The last is what tells a later start with the replay's arguments that the replay is over
    /// for the partition (the application went on without it): without it, once `newest`
    /// ordinary checkpoints had committed, running the replay's command again would replay the
    /// partition a second time into the same topic. It costs one manifest per replay and
    /// partition, kept for good (its state files too); replays are rare.
    static func retained(
        _ listings: [CheckpointListing], committed: Set<String>, instance: String, newest: Int, pinned: Set<CheckpointID>
    ) -> Set<String> {
        var keep = Set(pinned.map(\.description))
        var ownKept = 0
        var newestPerPartition: [PartitionID: String] = [:]
        var newestCommittedPerPartition: [PartitionID: String] = [:]
        var newestCommittedPerReplay: [ReplayPartition: String] = [:]
        for listing in listings {  // newest first
            guard let id = CheckpointID(listing.checkpointID) else { continue }
            if id.instance != instance {
                keep.insert(listing.checkpointID)  // another instance's: its own retention decides
                continue
            }
            if ownKept < newest {
                keep.insert(listing.checkpointID)
                ownKept += 1
            }
            for entry in listing.manifest?.partitions ?? [] {
                let key = entry.partitionID
                if newestPerPartition[key] == nil { newestPerPartition[key] = listing.checkpointID }
                guard committed.contains(listing.checkpointID) else { continue }
                if newestCommittedPerPartition[key] == nil { newestCommittedPerPartition[key] = listing.checkpointID }
                if let replay = listing.manifest?.descendsFrom {
                    let replayed = ReplayPartition(checkpoint: replay, sink: listing.manifest?.replaySink, partition: key)
                    if newestCommittedPerReplay[replayed] == nil { newestCommittedPerReplay[replayed] = listing.checkpointID }
                }
            }
        }
        // A partition this instance no longer owns keeps the checkpoint its committed offset
        // names (the newest committed one holding it) until a newer one replaces it.
        keep.formUnion(newestPerPartition.values)
        keep.formUnion(newestCommittedPerPartition.values)
        keep.formUnion(newestCommittedPerReplay.values)
        return keep
    }

    /// A partition as a replay (its checkpoint and sink, as manifests record them) wrote it.
    private struct ReplayPartition: Hashable {
        let checkpoint: String
        let sink: String?
        let partition: PartitionID
    }
}

extension PartitionID {
    /// The store's name for a Kafka partition.
    init(_ partition: TopicPartition) {
        self.init(topic: partition.topic, partition: partition.partition)
    }
}

extension TopicPartition {
    /// The Kafka partition a store's partition name stands for.
    init(_ partition: PartitionID) {
        self.init(partition.topic, partition.partition)
    }
}
