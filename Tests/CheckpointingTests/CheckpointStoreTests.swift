import Foundation
import KeyedState
import Testing
@testable import Checkpointing

@Suite struct CheckpointStoreTests {
    @Test func manifestRecordsIdsOffsetsFilesAndKeyCounts() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let store = try directory.store()
        var states = [ordersZero: PartitionState(), ordersOne: PartitionState()]
        states[ordersZero]!.put([1], for: key(1))
        states[ordersZero]!.put([2], for: key(2))
        states[ordersOne]!.put([3], for: key(3))
        try store.checkpoint("i1-1", &states, offset: 42)
        states[ordersZero]!.put([9], for: key(1))
        try store.checkpoint("i1-2", &states, offset: 50)

        let manifest = try store.manifest("i1-2")
        #expect(manifest.checkpointID == "i1-2")
        #expect(manifest.parentID == "i1-1")
        #expect(manifest.application == "app")
        #expect(manifest.instance == "i1")
        #expect(manifest.formatVersion == CheckpointManifest.currentFormatVersion)
        let zero = try #require(manifest.partition(ordersZero))
        #expect(zero.nextOffset == 50)
        #expect(zero.keyCount == 2)
        #expect(zero.files.map(\.name) == ["i1-1.full", "i1-2.delta"])
        #expect(zero.files[1].recordCount == 1)
        for file in zero.files {
            let path = store.rootDirectory + "/state/orders-0/" + file.name
            let bytes = try #require(FileManager.default.contents(atPath: path))
            #expect(Int64(bytes.count) == file.size)
            #expect(CRC32C.checksum(Array(bytes.dropLast(4))) == file.crc32c)
        }
        // Unchanged since i1-1: no new file, same chain.
        #expect(try #require(manifest.partition(ordersOne)).files.map(\.name) == ["i1-1.full"])
    }

    @Test func restoreReturnsTheStateAndOffsetOfTheCheckpoint() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let store = try directory.store()
        var states = [ordersZero: PartitionState()]
        for number in 0..<100 { states[ordersZero]!.put([UInt8(number)], for: key(number)) }
        try store.checkpoint("i1-1", &states, offset: 100)
        let expected = contents(of: states[ordersZero]!)
        for number in 0..<50 { states[ordersZero]!.delete(key(number)) }
        states[ordersZero]!.put([7, 7], for: key(500))
        try store.checkpoint("i1-2", &states, offset: 200)

        let first = try store.restore(ordersZero, from: "i1-1")
        #expect(contents(of: first.state) == expected)
        #expect(first.nextOffset == 100)
        let second = try store.restore(ordersZero, from: "i1-2")
        #expect(contents(of: second.state) == contents(of: states[ordersZero]!))
        #expect(second.nextOffset == 200)
        #expect(second.state.count == 51)
    }

    @Test func directoriesAndFilesAreOwnerOnly() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let (store, _) = try directory.storeWithOneCheckpoint()
        let root = store.rootDirectory
        for path in [root, root + "/manifests", root + "/state", root + "/state/orders-0"] {
            #expect(DurableFiles.mode(path) == 0o700, "\(path)")
        }
        for path in [root + "/manifests/i1-1.json", root + "/state/orders-0/i1-1.full"] {
            #expect(DurableFiles.mode(path) == 0o600, "\(path)")
        }
    }

    @Test func aDiscardedCheckpointIsGoneAndTheRolledBackStateContinuesAsADelta() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let store = try directory.store()
        var state = PartitionState()
        state.put([1], for: key(1))
        let good = state.captureSnapshot()
        _ = try store.writeAndWait(
            checkpointID: "i1-1", partitions: [PartitionCheckpoint(partition: ordersZero, snapshot: good, nextOffset: 1)])
        state.put([2], for: key(2))
        let failed = state.captureSnapshot()
        _ = try store.writeAndWait(
            checkpointID: "i1-2", partitions: [PartitionCheckpoint(partition: ordersZero, snapshot: failed, nextOffset: 2)])

        // The Kafka commit of i1-2 failed: the runtime discards it and rolls state back.
        try store.discardAndWait("i1-2")
        state.restore(good)
        #expect(throws: CheckpointError.self) { try store.manifest("i1-2") }
        #expect(!FileManager.default.fileExists(atPath: store.rootDirectory + "/state/orders-0/i1-2.delta"))

        state.put([3], for: key(3))
        let manifest = try store.writeAndWait(
            checkpointID: "i1-3",
            partitions: [PartitionCheckpoint(partition: ordersZero, snapshot: state.captureSnapshot(), nextOffset: 2)])
        #expect(manifest.parentID == "i1-1")
        #expect(try #require(manifest.partition(ordersZero)).files.map(\.name) == ["i1-1.full", "i1-3.delta"])
        let restored = try store.restore(ordersZero, from: "i1-3")
        #expect(contents(of: restored.state) == [key(1): [1], key(3): [3]])
    }

    @Test func aSnapshotThatDoesNotContinueTheDurableChainIsWrittenInFull() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let store = try directory.store()
        var state = PartitionState()
        state.put([1], for: key(1))
        _ = try store.writeAndWait(
            checkpointID: "i1-1",
            partitions: [PartitionCheckpoint(partition: ordersZero, snapshot: state.captureSnapshot(), nextOffset: 1)])
        // A capture that is never written leaves a gap in the chain.
        state.put([2], for: key(2))
        _ = state.captureSnapshot()
        state.put([3], for: key(3))
        let manifest = try store.writeAndWait(
            checkpointID: "i1-2",
            partitions: [PartitionCheckpoint(partition: ordersZero, snapshot: state.captureSnapshot(), nextOffset: 3)])
        #expect(try #require(manifest.partition(ordersZero)).files.map(\.name) == ["i1-2.full"])
        #expect(contents(of: try store.restore(ordersZero, from: "i1-2").state).count == 3)
    }

    @Test func aRestoredPartitionContinuesItsChainAfterARestartOfItsInstance() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var states = [ordersZero: PartitionState()]
        states[ordersZero]!.put([1], for: key(1))
        try directory.store().checkpoint("i1-1", &states)

        // Another store of the same instance (a restarted process) restores the partition and goes on.
        let store = try directory.store(instance: "i1")
        var restored = try store.restore(ordersZero, from: "i1-1").state
        restored.put([2], for: key(2))
        let manifest = try store.writeAndWait(
            checkpointID: "i1-2",
            partitions: [PartitionCheckpoint(partition: ordersZero, snapshot: restored.captureSnapshot(), nextOffset: 2)])
        #expect(try #require(manifest.partition(ordersZero)).files.map(\.name) == ["i1-1.full", "i1-2.delta"])

        // Another instance that takes it over writes a full base: the chain is the first
        // instance's, whose retention may remove it (RetentionTests).
        let other = try directory.store(instance: "i2")
        var takenOver = try other.restore(ordersZero, from: "i1-2").state
        takenOver.put([3], for: key(3))
        let taken = try other.writeAndWait(
            checkpointID: "i2-1",
            partitions: [PartitionCheckpoint(partition: ordersZero, snapshot: takenOver.captureSnapshot(), nextOffset: 3)])
        #expect(try #require(taken.partition(ordersZero)).files.map(\.name) == ["i2-1.full"])
    }

    @Test func chainsAreCompactedIntoAFullBaseAtTheConfiguredLength() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let store = try directory.store(maxDeltas: 2)
        var states = [ordersZero: PartitionState()]
        var kinds: [[StateFileKind]] = []
        for number in 1...5 {
            states[ordersZero]!.put([UInt8(number)], for: key(number))
            let manifest = try store.checkpoint("i1-\(number)", &states)
            kinds.append(manifest.partitions[0].files.map(\.kind))
        }
        #expect(kinds == [[.full], [.full, .delta], [.full, .delta, .delta], [.full], [.full, .delta]])
    }

    @Test func chainsAreCompactedIntoAFullBaseAtTheConfiguredSize() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let store = try directory.store(maxDeltaBytes: 1)
        var states = [ordersZero: PartitionState()]
        for number in 0..<10 { states[ordersZero]!.put([0], for: key(number)) }
        try store.checkpoint("i1-1", &states)
        states[ordersZero]!.put([1], for: key(1))
        let second = try store.checkpoint("i1-2", &states)
        states[ordersZero]!.put([2], for: key(2))
        let third = try store.checkpoint("i1-3", &states)
        #expect(second.partitions[0].files.map(\.kind) == [.full, .delta])
        #expect(third.partitions[0].files.map(\.kind) == [.full])
    }

    @Test func theAsyncWriteResumesWithADurableManifest() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let store = try directory.store()
        var state = PartitionState()
        state.put([1], for: key(1))
        let manifest = try await store.write(
            checkpointID: "i1-1",
            partitions: [PartitionCheckpoint(partition: ordersZero, snapshot: state.captureSnapshot(), nextOffset: 1)],
            descendsFrom: "old-3")
        #expect(manifest.descendsFrom == "old-3")
        #expect(try store.manifest("i1-1") == manifest)
        let restored = try await store.restoreInBackground(ordersZero, from: "i1-1")
        #expect(contents(of: restored.state) == [key(1): [1]])
        #expect(await store.verifyInBackground("i1-1").isEmpty)
    }

    @Test func aCheckpointIdIsWrittenOnlyOnce() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let store = try directory.store()
        var states = [ordersZero: PartitionState()]
        try store.checkpoint("i1-1", &states)
        let error = try #require(throws: CheckpointError.self) { try store.checkpoint("i1-1", &states) }
        #expect(error.code == .checkpointExists)
        #expect(error.description.contains("i1-1"))
    }

    @Test func diffShowsPartitionsOffsetsKeyCountsAndFiles() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let store = try directory.store()
        var states = [ordersZero: PartitionState(), ordersOne: PartitionState()]
        states[ordersZero]!.put([1], for: key(1))
        try store.checkpoint("i1-1", &states, offset: 10)
        states[ordersOne] = nil
        states[PartitionID(topic: "orders", partition: 2)] = PartitionState()
        states[ordersZero]!.put([2], for: key(2))
        try store.checkpoint("i1-2", &states, offset: 20)

        let diff = try store.diff(from: "i1-1", to: "i1-2")
        #expect(diff.onlyInFrom == [ordersOne])
        #expect(diff.onlyInTo == [PartitionID(topic: "orders", partition: 2)])
        let change = try #require(diff.changes.first)
        #expect(change.nextOffset == (10, 20))
        #expect(change.keyCount == (1, 2))
        #expect(change.sharedFiles == ["i1-1.full"])
        #expect(change.addedFiles == ["i1-2.delta"])
    }

    @Test func dumpListsAPartitionsEntriesInKeyOrder() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let store = try directory.store()
        var states = [ordersZero: PartitionState()]
        for number in [3, 1, 2] { states[ordersZero]!.put([UInt8(number)], for: StateKey([UInt8(number)])) }
        try store.checkpoint("i1-1", &states)
        var dumped: [[UInt8]] = []
        try store.dump(ordersZero, from: "i1-1") { key, _ in dumped.append(key.bytes) }
        #expect(dumped == [[1], [2], [3]])
    }

    @Test func listsCheckpointsNewestFirst() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let store = try directory.store()
        var states = [ordersZero: PartitionState()]
        for number in 1...3 { try store.checkpoint("i1-\(number)", &states) }
        #expect(store.listCheckpoints().map(\.checkpointID) == ["i1-3", "i1-2", "i1-1"])
        #expect(try directory.store().listCheckpoints().count == 3)
    }
}
