import Foundation
import KeyedState
import Testing
import ExactlyTesting
@testable import Checkpointing

@Suite struct RetentionTests {
    @Test func retentionNeverDeletesAFileThatAKeptManifestReferences() throws {
        let seed = SeededRandom.seed()
        var random = SeededRandom(seed: seed)
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let store = try directory.store(maxDeltas: 3)
        var states = [ordersZero: PartitionState(), ordersOne: PartitionState()]
        for round in 1...30 {
            for _ in 0..<5 {
                let partition = Bool.random(using: &random) ? ordersZero : ordersOne
                states[partition]!.put([UInt8(round)], for: key(Int.random(in: 0..<20, using: &random)))
            }
            try store.checkpoint("i1-\(round)", &states)
            if round % 4 == 0 {
                let pinned: Set<String> = [store.listCheckpoints().map(\.checkpointID).randomElement(using: &random)!]
                let report = try store.applyRetentionAndWait(keepNewest: 2, pinned: pinned)
                for id in report.keptCheckpoints {
                    let manifest = try store.manifest(id)
                    for partition in manifest.partitions {
                        for file in partition.files {
                            let path = store.rootDirectory + "/state/\(partition.partitionID)/\(file.name)"
                            #expect(FileManager.default.fileExists(atPath: path), "seed \(seed): \(path) of \(id)")
                        }
                    }
                    #expect(store.verify(id).isEmpty, "seed \(seed): \(id)")
                }
                #expect(pinned.isSubset(of: report.keptCheckpoints), "seed \(seed)")
            }
        }
    }

    /// Instance B takes a partition over from instance A's checkpoint. A's retention knows
    /// nothing of it, and removes that checkpoint and its files while B has written nothing that
    /// references them: B's next checkpoint must not be a delta on them (it would not restore,
    /// nor would the deltas after it). Found by review (2026-11-26).
    @Test func aStateRestoredFromAnotherInstancesCheckpointIsWrittenAsAFullBase() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let a = try directory.store(instance: "a")
        let b = try directory.store(instance: "b")
        var states = [ordersZero: PartitionState()]
        states[ordersZero]!.put([1], for: key(1))
        try a.checkpoint("a-1", &states)
        var takenOver = [ordersZero: try b.restore(ordersZero, from: "a-1").state]
        var kept = [ordersOne: PartitionState()]
        kept[ordersOne]!.put([2], for: key(2))
        try a.checkpoint("a-2", &kept)
        _ = try a.applyRetentionAndWait(keepNewest: 1, pinned: [])
        #expect(a.listCheckpoints().map(\.checkpointID) == ["a-2"])

        takenOver[ordersZero]!.put([3], for: key(3))
        try b.checkpoint("b-1", &takenOver)

        #expect(b.verify("b-1").isEmpty, "\(b.verify("b-1"))")
        #expect(contents(of: try b.restore(ordersZero, from: "b-1").state) == [key(1): [1], key(3): [3]])
    }

    @Test func keepsTheNewestAndThePinnedAndRemovesTheRest() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let store = try directory.store(maxDeltas: 0)
        var states = [ordersZero: PartitionState()]
        for round in 1...5 {
            states[ordersZero]!.put([UInt8(round)], for: key(round))
            try store.checkpoint("i1-\(round)", &states)
        }
        let report = try store.applyRetentionAndWait(keepNewest: 2, pinned: ["i1-1"])
        #expect(report.keptCheckpoints == ["i1-5", "i1-4", "i1-1"])
        #expect(report.removedCheckpoints == ["i1-3", "i1-2"])
        #expect(report.removedFiles.map { DurableFiles.fileName(of: $0) }.sorted() == ["i1-2.full", "i1-3.full"])
        #expect(store.listCheckpoints().map(\.checkpointID) == ["i1-5", "i1-4", "i1-1"])
        #expect(contents(of: try store.restore(ordersZero, from: "i1-1").state) == [key(1): [1]])
    }

    @Test func orphansOfACrashedCheckpointAreCollected() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let (store, _) = try directory.storeWithOneCheckpoint()
        // A crash after the state file was renamed into place but before the manifest was.
        let orphan = store.rootDirectory + "/state/orders-0/i1-2.delta"
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: orphan))

        let report = try store.applyRetentionAndWait(keepNewest: 5, pinned: [])
        #expect(report.removedFiles == [orphan])
        #expect(store.verify("i1-1").isEmpty)
    }

    @Test func filesYoungerThanTheGracePeriodAreLeftForTheirWriter() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let store = try directory.store(orphanGracePeriod: 3600)
        var states = [ordersZero: PartitionState()]
        try store.checkpoint("i1-1", &states)
        let inFlight = store.rootDirectory + "/state/orders-0/.tmp-abc-i2-7.full"
        try Data([1]).write(to: URL(fileURLWithPath: inFlight))
        let report = try store.applyRetentionAndWait(keepNewest: 5, pinned: [])
        #expect(report.removedTemporaryFiles.isEmpty)
        #expect(FileManager.default.fileExists(atPath: inFlight))
    }

    @Test func aChainWhoseFilesRetentionRemovedIsNotExtended() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let (store, initial) = try directory.storeWithOneCheckpoint()
        var states = initial
        // orders-0 is revoked; later checkpoints hold other partitions only.
        var others = [ordersOne: PartitionState()]
        try store.checkpoint("i1-2", &others)
        try store.checkpoint("i1-3", &others)
        _ = try store.applyRetentionAndWait(keepNewest: 1, pinned: [])
        // The old orders-0 state comes back (e.g. from its owner's copy) and is written again.
        states[ordersZero]!.put([2], for: key(2))
        let manifest = try store.checkpoint("i1-4", &states)
        #expect(manifest.partitions[0].files.map(\.name) == ["i1-4.full"])
        #expect(store.verify("i1-4").isEmpty)
    }

    /// Instances sharing a checkpoint directory each remove a partition directory they find
    /// empty. One removed between a writer's mkdir and its create is made again; a directory
    /// that keeps going away still fails the checkpoint, naming the file.
    @Test func aPartitionDirectoryRemovedByAnotherInstancesRetentionIsMadeAgain() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let partitionDirectory = directory.path + "/state/orders-0"
        let path = partitionDirectory + "/i1-1.full"
        var writer = try CheckpointStore.createStateFile(path, in: partitionDirectory, kind: .full, recordCount: 1) { attempt in
            if attempt == 1 { DurableFiles.removeDirectoryIfEmpty(partitionDirectory) }
        }
        try [UInt8(1)].withUnsafeBytes { try writer.put(key(1), $0) }
        _ = try writer.finish()
        #expect(FileManager.default.fileExists(atPath: path))

        #expect(throws: CheckpointError.self) {
            _ = try CheckpointStore.createStateFile(directory.path + "/state/orders-1/i1-1.full", in: directory.path + "/state/orders-1", kind: .full, recordCount: 0) { _ in
                DurableFiles.removeDirectoryIfEmpty(directory.path + "/state/orders-1")
            }
        }
    }
}
