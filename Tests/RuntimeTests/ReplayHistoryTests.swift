import Checkpointing
import KafkaClient
import Runtime
import Testing

/// Recovery keeps to the history Kafka committed: after a replay (which forks a partition's
/// history at the checkpoint it starts from), a fallback or a lost-offsets decision must not
/// pick a checkpoint of the history the replay left, whose state the replay redid (built by the
/// code the replay was run to correct, say), however high its offset.
@Suite struct ReplayHistoryTests {
    let partition = TopicPartition("orders", 3)
    func id(_ sequence: UInt64) -> CheckpointID { CheckpointID(instance: "app-0", incarnation: 1, sequence: sequence) }
    /// The replay of checkpoint 1 (at offset 200) into `fixed`.
    var fork: ReplayFork { ReplayFork(replayOf: id(1).description, at: 200, sink: "fixed") }

    /// C (1) at 200 and E (3) at 500 before the replay; the replay of C commits R1 (4) at 300;
    /// the application goes on from it and commits N1 (5) at 600, whose checkpoint is then lost.
    func candidates(without removed: Set<UInt64> = []) -> [CheckpointCandidate] {
        [
            CheckpointCandidate(id: id(1), nextOffset: 200, knownCommitted: true, createdAtMilliseconds: 1_000),
            CheckpointCandidate(id: id(2), nextOffset: 350, knownCommitted: true, createdAtMilliseconds: 2_000),
            CheckpointCandidate(id: id(3), nextOffset: 500, knownCommitted: true, createdAtMilliseconds: 3_000),
            CheckpointCandidate(id: id(4), nextOffset: 300, knownCommitted: true, forks: [fork], createdAtMilliseconds: 4_000),
        ].filter { !removed.contains($0.id.sequence) }
    }

    @Test func aFallbackAfterAReplayKeepsToTheReplaysHistory() {
        let committed = PartitionOffset(partition, offset: 600, metadata: OffsetMetadata.encode(id(5), forks: [fork]))
        #expect(RecoveryPlanner.plan(for: partition, committed: committed, candidates: candidates()).restored == id(4))
        // Without the replay's own checkpoint, the one it started from: the replay is redone muted.
        #expect(RecoveryPlanner.plan(for: partition, committed: committed, candidates: candidates(without: [4])).restored == id(1))
        // Without either, the refusal names the checkpoints of the history the replay left.
        guard case .refuse(let message) = RecoveryPlanner.plan(for: partition, committed: committed, candidates: candidates(without: [1, 4])) else {
            Issue.record("expected a refusal")
            return
        }
        #expect(message.contains("\(id(3)), \(id(2)) hold it, but of a history a replay left"), "\(message)")
    }

    /// Before the replay, the same checkpoints are one history: the fallback takes the newest.
    @Test func withoutAReplayTheFallbackTakesTheNewest() {
        let committed = PartitionOffset(partition, offset: 600, metadata: OffsetMetadata.encode(id(5)))
        #expect(RecoveryPlanner.plan(for: partition, committed: committed, candidates: candidates(without: [4])).restored == id(3))
    }

    /// Lost offsets: the refusal, and the replay checks that fill them in, name the newest commit's
    /// history, not the highest offset of any.
    @Test func lostOffsetsAreTakenFromTheNewestCommitsHistory() {
        #expect(ReplayGuard.lastKnownCommitted(among: candidates())?.id == id(4))
        guard case .refuse(let message) = RecoveryPlanner.plan(for: partition, committed: nil, candidates: candidates()) else {
            Issue.record("expected a refusal")
            return
        }
        #expect(message.contains("--replay-from-checkpoint \(id(4))"), "\(message)")
        #expect(ReplayGuard.lastKnownCommitted(among: candidates(without: [4]))?.id == id(3))
    }

    @Test func aCheckpointBelongsToAHistoryItsForksBeginAndItsOffsetShares() {
        let other = ReplayFork(replayOf: id(1).description, at: 200, sink: "elsewhere")
        let later = ReplayFork(replayOf: id(4).description, at: 300, sink: "fixed-again")
        #expect(ReplayFork.allows([fork], at: 900, under: [fork]))
        #expect(ReplayFork.allows([], at: 200, under: [fork]))  // the checkpoint the replay started from
        #expect(!ReplayFork.allows([], at: 201, under: [fork]))  // past it: the history the replay left
        #expect(!ReplayFork.allows([other], at: 300, under: [fork]))  // the same checkpoint replayed elsewhere
        #expect(!ReplayFork.allows([fork], at: 300, under: []))  // a replay's own, for the history it left
        #expect(ReplayFork.allows([fork], at: 300, under: [fork, later]))
        #expect(!ReplayFork.allows([fork], at: 301, under: [fork, later]))
        #expect(!ReplayFork.allows([later], at: 100, under: [fork, later]))
        // A replay from a checkpoint a muted fallback wrote below the fork it recovered in: the
        // history without forks is shared only up to the lower of the two.
        let below = ReplayFork(replayOf: id(6).description, at: 150, sink: "fixed-again")
        #expect(ReplayFork.allows([], at: 150, under: [fork, below]))
        #expect(!ReplayFork.allows([], at: 180, under: [fork, below]))
    }

    /// The latest history is the one a replay forked last, whatever the clocks say: a host whose
    /// clock runs ahead wrote the abandoned history's last checkpoint.
    @Test func theLatestHistoryIsTheOneNoOtherGoesOnFrom() {
        let skewed = [
            CheckpointCandidate(id: id(1), nextOffset: 200, knownCommitted: true, createdAtMilliseconds: 1_000),
            CheckpointCandidate(id: id(3), nextOffset: 500, knownCommitted: true, createdAtMilliseconds: 9_000),
            CheckpointCandidate(id: id(4), nextOffset: 300, knownCommitted: true, forks: [fork], createdAtMilliseconds: 4_000),
        ]
        #expect(ReplayGuard.lastKnownCommitted(among: skewed)?.id == id(4))
        // Two replays of one checkpoint into two topics: the newer commit's.
        let elsewhere = CheckpointCandidate(
            id: id(7), nextOffset: 250, knownCommitted: true, forks: [ReplayFork(replayOf: id(1).description, at: 200, sink: "elsewhere")],
            createdAtMilliseconds: 5_000)
        #expect(ReplayGuard.lastKnownCommitted(among: skewed + [elsewhere])?.id == id(7))
    }

    @Test func theOffsetsMetadataRecordsTheForks() {
        let metadata = OffsetMetadata.encode(id(5), forks: [fork, ReplayFork(replayOf: id(4).description, at: 300, sink: "fixed.v2_b-c")])
        #expect(metadata == "exactly/2 checkpoint=app-0-1.5 fork=200:app-0-1.1:fixed fork=300:app-0-1.4:fixed.v2_b-c")
        #expect(OffsetMetadata.decode(metadata) == .checkpoint(id(5)))
        #expect(OffsetMetadata.forks(in: metadata) == [fork, ReplayFork(replayOf: id(4).description, at: 300, sink: "fixed.v2_b-c")])
        // A history without replays commits the metadata it always did.
        #expect(OffsetMetadata.encode(id(5)) == "exactly/1 checkpoint=app-0-1.5")
        #expect(OffsetMetadata.forks(in: "exactly/1 checkpoint=app-0-1.5") == [])
        // Forks under the first version's prefix: a build from before forks would take
        // `app-0-1.5 fork=200:app-0-1.1:out-2` for a checkpoint id (its tail `-2` parses).
        for foreign in [
            "exactly/2 checkpoint=app-0-1.5 fork=x:a:b", "exactly/2 checkpoint=app-0-1.5 something", "exactly/2 checkpoint=app-0-1.5 fork=1:a",
            "exactly/1 checkpoint=app-0-1.5 fork=200:app-0-1.1:out-2", "exactly/2 checkpoint=app-0-1.5", "",
        ] {
            #expect(OffsetMetadata.decode(foreign) == .foreign(foreign))
            #expect(OffsetMetadata.forks(in: foreign) == nil)
        }
    }

    /// The checkpoint Kafka names cannot be read, and the metadata says its history comes from
    /// the replay being started: replaying could write committed outputs twice, so it stops.
    @Test func aReplayStopsWhenItCannotTellWhetherItCommittedThePartition() {
        let replay = ReplayLineage(checkpoint: id(1), sink: "fixed")
        let committed = PartitionOffset(partition, offset: 300, metadata: OffsetMetadata.encode(id(4), forks: [fork]))
        let start = ReplayStart.decide(
            partition, replaying: replay, inCheckpoint: true, checkpointOffset: 200, committed: committed, checked: committed,
            committedByThisReplay: nil)
        guard case .stop(let message) = start else {
            Issue.record("expected a stop, got \(start)")
            return
        }
        #expect(message.contains("cannot be told"), "\(message)")
    }

    /// Kafka's metadata says the partition's history went through the replay being started and
    /// on from it (a later run's checkpoint), though the store may no longer read the replay's
    /// own checkpoints: the replay is over for it, whatever the offsets the checks read.
    @Test func aReplayStopsWhereTheCommittedHistoryWentThroughItAlready() {
        let replay = ReplayLineage(checkpoint: id(1), sink: "fixed")
        let committed = PartitionOffset(partition, offset: 600, metadata: OffsetMetadata.encode(id(5), forks: [fork]))
        #expect(replay.forked(fork) && !ReplayLineage(checkpoint: id(1), sink: "elsewhere").forked(fork))
        let start = ReplayStart.decide(
            partition, replaying: replay, inCheckpoint: true, checkpointOffset: 200, committed: committed, checked: committed,
            committedByThisReplay: false, historyWentThroughIt: true)
        guard case .stop(let message) = start else {
            Issue.record("expected a stop, got \(start)")
            return
        }
        #expect(message.contains("the replay is over for it"), "\(message)")
        // Committed by the replay itself: a restart resumes.
        let resumed = ReplayStart.decide(
            partition, replaying: replay, inCheckpoint: true, checkpointOffset: 200, committed: committed, checked: committed,
            committedByThisReplay: true, historyWentThroughIt: true)
        #expect(resumed == .recoverAsUsual(reason: "\(replay) committed it already (offset 600): it resumes from there"))
    }
}

extension RecoveryPlan {
    /// The checkpoint the plan restores, if any.
    var restored: CheckpointID? {
        switch self {
        case .restore(let id, _), .restoreAndReplayMuted(let id, _, _, _): id
        case .freshStart, .refuse: nil
        }
    }
}
