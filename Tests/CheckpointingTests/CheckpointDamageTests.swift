import Foundation
import KeyedState
import Testing
@testable import Checkpointing

/// Each kind of damage is found by `verify` and by `restore`, with an error that names the
/// checkpoint, partition, file and numbers, while an older intact checkpoint still restores.
@Suite struct CheckpointDamageTests {
    enum Damage: String, CaseIterable, CustomTestStringConvertible {
        case flipByteInStateFile, truncateStateFile, deleteStateFile, replaceStateFile, flipByteInManifest
        case truncateManifest, unreadableStateFile
        case deleteManifest, tornWrite, tornStateFileWrite
        var testDescription: String { rawValue }
    }

    /// Three checkpoints of two partitions: `i1-1` full, `i1-2` and `i1-3` deltas of orders-0.
    struct Fixture {
        let directory = TemporaryDirectory()
        let store: CheckpointStore
        var expected: [String: [StateKey: [UInt8]]] = [:]

        init() throws {
            store = try directory.store()
            var states = [ordersZero: PartitionState(), ordersOne: PartitionState()]
            for number in 0..<20 {
                states[ordersZero]!.put([UInt8(number)], for: key(number))
                states[ordersOne]!.put([UInt8(number)], for: key(number))
            }
            for checkpoint in 1...3 {
                states[ordersZero]!.put([UInt8(checkpoint), 0xAA], for: key(100 + checkpoint))
                states[ordersZero]!.delete(key(checkpoint))
                try store.checkpoint("i1-\(checkpoint)", &states, offset: Int64(checkpoint * 10))
                expected["i1-\(checkpoint)"] = contents(of: states[ordersZero]!)
            }
        }

        var newestDelta: String { store.rootDirectory + "/state/orders-0/i1-3.delta" }
        var newestManifest: String { store.rootDirectory + "/manifests/i1-3.json" }
    }

    @Test(arguments: Damage.allCases)
    func damageIsDetectedByVerifyAndRestoreWhileAnOlderCheckpointRestores(_ damage: Damage) throws {
        let fixture = try Fixture()
        defer { fixture.directory.remove() }
        let (damagedID, expectedCode) = try apply(damage, to: fixture)

        let problems = fixture.store.verify(damagedID)
        let found = try #require(problems.first, "verify found nothing after \(damage)")
        #expect(found.code == expectedCode)
        #expect(found.checkpointID == damagedID)
        #expect(found.file != nil)
        #expect(found.description.contains(damagedID))

        let error = try #require(throws: CheckpointError.self) { try fixture.store.restore(ordersZero, from: damagedID) }
        #expect(error.code == expectedCode)
        #expect(error.checkpointID == damagedID)
        #expect(error.file == found.file)
        switch damage {
        case .flipByteInStateFile:
            #expect(error.partition == ordersZero)
            #expect(error.file == fixture.newestDelta)
            #expect(error.expectedChecksum != nil && error.expectedChecksum != error.actualChecksum)
            #expect(error.description.contains("manifest says 0x"))
        case .truncateStateFile:
            #expect(error.expectedSize != nil && error.actualSize == error.expectedSize! - 5)
        case .deleteStateFile:
            #expect(error.partition == ordersZero)
        case .replaceStateFile:
            #expect(error.expectedChecksum != nil && error.expectedChecksum != error.actualChecksum)
        case .flipByteInManifest:
            #expect(error.expectedChecksum != error.actualChecksum)
        case .unreadableStateFile:
            // The system's reason, not a checksum or size the bytes read so far would fail.
            #expect(error.file == fixture.newestDelta)
            #expect(error.description.contains("cannot read (Is a directory, errno 21)"))
        case .truncateManifest, .deleteManifest, .tornWrite, .tornStateFileWrite:
            break
        }

        // Older checkpoints are intact and restore exactly.
        let older = try fixture.store.restore(ordersZero, from: "i1-2")
        #expect(contents(of: older.state) == fixture.expected["i1-2"])
        #expect(fixture.store.verify("i1-2").isEmpty)

        // Recovery falls back to the newest older checkpoint that verifies.
        let (restored, skipped) = try fixture.store.restoreNewestVerified(ordersZero, startingAt: damagedID)
        #expect(restored.checkpointID == (damage == .tornWrite || damage == .tornStateFileWrite ? "i1-3" : "i1-2"))
        #expect(skipped.first?.code == expectedCode)
    }

    @Test func tornWriteLeftoversAreReportedByVerifyAllAndRemovedByRetention() throws {
        let fixture = try Fixture()
        defer { fixture.directory.remove() }
        _ = try apply(.tornWrite, to: fixture)
        let problems = fixture.store.verifyAll()
        #expect(problems.map(\.code) == [.incompleteWrite, .incompleteWrite])
        #expect(problems.allSatisfy { $0.checkpointID == "i1-4" })

        let report = try fixture.store.applyRetentionAndWait(keepNewest: 3, pinned: [])
        #expect(report.removedTemporaryFiles.count == 2)
        #expect(fixture.store.verifyAll().isEmpty)
    }

    @Test func aDamagedBaseFailsEveryCheckpointOfItsChainButNotOtherPartitions() throws {
        let fixture = try Fixture()
        defer { fixture.directory.remove() }
        try flipByte(in: fixture.store.rootDirectory + "/state/orders-0/i1-1.full", at: 30)
        for checkpoint in ["i1-1", "i1-2", "i1-3"] {
            #expect(fixture.store.verify(checkpoint, partition: ordersZero).first?.code == .fileChecksumMismatch)
            #expect(fixture.store.verify(checkpoint, partition: ordersOne).isEmpty)
            #expect(throws: CheckpointError.self) { try fixture.store.restore(ordersZero, from: checkpoint) }
            _ = try fixture.store.restore(ordersOne, from: checkpoint)
        }
        let error = try #require(throws: CheckpointError.self) {
            try fixture.store.restoreNewestVerified(ordersZero, startingAt: "i1-3")
        }
        #expect(error.code == .noUsableCheckpoint)
        #expect(error.description.contains("i1-1"))
    }

    /// Damages the fixture; returns the checkpoint that must now fail and the expected code.
    private func apply(_ damage: Damage, to fixture: Fixture) throws -> (String, CheckpointError.Code) {
        switch damage {
        case .flipByteInStateFile:
            try flipByte(in: fixture.newestDelta, at: 26)
            return ("i1-3", .fileChecksumMismatch)
        case .truncateStateFile:
            try truncate(fixture.newestDelta, by: 5)
            return ("i1-3", .fileSizeMismatch)
        case .deleteStateFile:
            try FileManager.default.removeItem(atPath: fixture.newestDelta)
            return ("i1-3", .fileMissing)
        case .replaceStateFile:
            // Another valid state file of the same size, as a mistaken copy or restore would leave.
            let older = fixture.store.rootDirectory + "/state/orders-0/i1-2.delta"
            #expect(DurableFiles.size(older) == DurableFiles.size(fixture.newestDelta))
            try FileManager.default.removeItem(atPath: fixture.newestDelta)
            try FileManager.default.copyItem(atPath: older, toPath: fixture.newestDelta)
            return ("i1-3", .fileChecksumMismatch)
        case .unreadableStateFile:
            // A path that opens but whose read fails (EISDIR), as a failing disk's EIO would.
            try FileManager.default.removeItem(atPath: fixture.newestDelta)
            try FileManager.default.createDirectory(atPath: fixture.newestDelta, withIntermediateDirectories: false)
            return ("i1-3", .ioFailure)
        case .flipByteInManifest:
            try flipByte(in: fixture.newestManifest, at: 60)
            return ("i1-3", .manifestCorrupt)
        case .truncateManifest:
            try truncate(fixture.newestManifest, by: 20)
            return ("i1-3", .manifestCorrupt)
        case .deleteManifest:
            try FileManager.default.removeItem(atPath: fixture.newestManifest)
            return ("i1-3", .manifestMissing)
        case .tornWrite:
            // A crash while writing i1-4: half a state file and half a manifest, both temporary.
            let manifest = try Array(#require(FileManager.default.contents(atPath: fixture.newestManifest)))
            let state = try Array(#require(FileManager.default.contents(atPath: fixture.newestDelta)))
            try Data(manifest.prefix(manifest.count / 2)).write(
                to: URL(fileURLWithPath: fixture.store.rootDirectory + "/manifests/.tmp-x1-i1-4.json"))
            try Data(state.prefix(state.count / 2)).write(
                to: URL(fileURLWithPath: fixture.store.rootDirectory + "/state/orders-0/.tmp-x2-i1-4.delta"))
            return ("i1-4", .incompleteWrite)
        case .tornStateFileWrite:
            // A crash while writing i1-4's first state file, before any manifest.
            try Data([1, 2, 3]).write(
                to: URL(fileURLWithPath: fixture.store.rootDirectory + "/state/orders-1/.tmp-x3-i1-4.full"))
            return ("i1-4", .incompleteWrite)
        }
    }

    private func flipByte(in path: String, at offset: Int) throws {
        var bytes = try Array(#require(FileManager.default.contents(atPath: path)))
        bytes[offset] ^= 0x5A
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    private func truncate(_ path: String, by count: Int) throws {
        let bytes = try Array(#require(FileManager.default.contents(atPath: path)))
        try Data(bytes.dropLast(count)).write(to: URL(fileURLWithPath: path))
    }
}
