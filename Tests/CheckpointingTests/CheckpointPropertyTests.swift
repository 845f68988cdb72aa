import Foundation
import KeyedState
import Testing
import ExactlyTesting
@testable import Checkpointing

/// Random workloads over many partitions, with checkpoints (full and incremental, compacted at
/// random bounds), failed commits, rebalances and retention at random points: every restore must
/// give exactly the state captured at that checkpoint.
///
/// Each run prints nothing unless it fails; a failure names the seed. Replay one with
/// `CHECKPOINT_TEST_SEED=<seed>`; run more with `CHECKPOINT_PROPERTY_RUNS=<n>`.
@Suite struct CheckpointPropertyTests {
    static var runs: Int {
        Int(ProcessInfo.processInfo.environment["CHECKPOINT_PROPERTY_RUNS"] ?? "") ?? 12
    }

    @Test func restoreAtAnyCheckpointGivesTheStateCapturedThere() throws {
        let first = SeededRandom.seed()
        var total = Coverage()
        for run in 0..<Self.runs {
            let seed = first &+ UInt64(run)
            total.add(try Self.run(seed: seed))
        }
        // The runs must have exercised every path, or they prove little.
        #expect(total.fullFiles > 0 && total.deltaFiles > 0 && total.unchangedPartitions > 0, "\(total)")
        #expect(total.discards > 0 && total.retentions > 0 && total.restores > 0, "\(total)")
    }

    /// What a run exercised.
    struct Coverage {
        var fullFiles = 0, deltaFiles = 0, unchangedPartitions = 0, discards = 0, retentions = 0, restores = 0

        mutating func add(_ other: Coverage) {
            fullFiles += other.fullFiles
            deltaFiles += other.deltaFiles
            unchangedPartitions += other.unchangedPartitions
            discards += other.discards
            retentions += other.retentions
            restores += other.restores
        }
    }

    /// What a checkpoint must restore to, per partition.
    struct Expected {
        var entries: [PartitionID: [StateKey: [UInt8]]]
        var offsets: [PartitionID: Int64]
    }

    static func run(seed: UInt64) throws -> Coverage {
        var coverage = Coverage()
        var random = SeededRandom(seed: seed)
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let store = try directory.store(
            maxDeltas: Int.random(in: 0...4, using: &random), maxDeltaBytes: Int64.random(in: 50...4000, using: &random))
        let all = (0..<6).map { PartitionID(topic: $0 < 3 ? "orders" : "payments", partition: Int32($0 % 3)) }
        var assigned: [PartitionID: PartitionState] = [:]
        var lastGood: [PartitionID: PartitionState] = [:]
        var offsets: [PartitionID: Int64] = [:]
        var lastGoodOffsets: [PartitionID: Int64] = [:]
        var expected: [String: Expected] = [:]
        var newestFirst: [String] = []
        var sequence = 0
        let context = "seed \(seed) (replay: CHECKPOINT_TEST_SEED=\(seed))"

        func assign(_ partition: PartitionID) throws {
            // Rebalance: restore from the newest kept checkpoint holding the partition, if any.
            if let id = newestFirst.first(where: { expected[$0]!.entries[partition] != nil }) {
                let restored = try store.restore(partition, from: id)
                #expect(contents(of: restored.state) == expected[id]!.entries[partition]!, "\(context) restoring \(partition) from \(id)")
                assigned[partition] = restored.state
                offsets[partition] = restored.nextOffset
            } else {
                assigned[partition] = PartitionState()
                offsets[partition] = 0
            }
            lastGood[partition] = assigned[partition]
            lastGoodOffsets[partition] = offsets[partition]
        }

        for partition in all where Bool.random(using: &random) { try assign(partition) }
        for _ in 0..<400 {
            let roll = Int.random(in: 0..<100, using: &random)
            if roll < 80, let partition = assigned.keys.randomElement(using: &random) {
                let number = Int.random(in: 0..<30, using: &random)
                if Int.random(in: 0..<4, using: &random) == 0 {
                    assigned[partition]!.delete(key(number))
                } else {
                    let length = Int.random(in: 0..<6, using: &random)
                    assigned[partition]!.put((0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }, for: key(number))
                }
                offsets[partition]! += 1
            } else if roll < 92 {
                sequence += 1
                let id = "i1-\(sequence)"
                var parts: [PartitionCheckpoint] = []
                var captured: [PartitionID: [StateKey: [UInt8]]] = [:]
                for partition in assigned.keys.sorted() {
                    let snapshot = assigned[partition]!.captureSnapshot()
                    captured[partition] = contents(of: snapshot)
                    parts.append(PartitionCheckpoint(partition: partition, snapshot: snapshot, nextOffset: offsets[partition]!))
                }
                let manifest = try store.writeAndWait(checkpointID: id, partitions: parts)
                for partition in manifest.partitions {
                    switch partition.files.last {
                    case let file? where file.name.hasPrefix(id + "."):
                        if file.kind == .full { coverage.fullFiles += 1 } else { coverage.deltaFiles += 1 }
                    default:
                        coverage.unchangedPartitions += 1
                    }
                }
                if Int.random(in: 0..<6, using: &random) == 0 {
                    // The Kafka commit failed: abandon the checkpoint, roll every partition back.
                    try store.discardAndWait(id)
                    coverage.discards += 1
                    assigned = lastGood
                    offsets = lastGoodOffsets
                } else {
                    expected[id] = Expected(entries: captured, offsets: offsets.filter { captured[$0.key] != nil })
                    newestFirst.insert(id, at: 0)
                    lastGood = assigned
                    lastGoodOffsets = offsets
                }
            } else if roll < 96 {
                // Rebalance: lose one partition, gain another.
                if let partition = assigned.keys.randomElement(using: &random), Bool.random(using: &random) {
                    // Writes since the last checkpoint are lost with the partition, as with Kafka.
                    assigned[partition] = nil
                    lastGood[partition] = nil
                    offsets[partition] = nil
                    lastGoodOffsets[partition] = nil
                }
                if let partition = all.filter({ assigned[$0] == nil }).randomElement(using: &random) {
                    try assign(partition)
                }
            } else if roll < 98 {
                let pinned = Set(newestFirst.filter { _ in Int.random(in: 0..<4, using: &random) == 0 })
                let keep = Int.random(in: 1...3, using: &random)
                let report = try store.applyRetentionAndWait(keepNewest: keep, pinned: pinned)
                coverage.retentions += 1
                #expect(Set(report.removedCheckpoints).isDisjoint(with: pinned), "\(context)")
                for id in report.removedCheckpoints {
                    expected[id] = nil
                    newestFirst.removeAll { $0 == id }
                }
                #expect(report.keptCheckpoints == newestFirst, "\(context)")
                for id in newestFirst { #expect(store.verify(id).isEmpty, "\(context): \(id) after retention") }
            } else if let id = newestFirst.randomElement(using: &random),
                      let partition = expected[id]!.entries.keys.randomElement(using: &random)
            {
                let restored = try store.restore(partition, from: id)
                coverage.restores += 1
                #expect(contents(of: restored.state) == expected[id]!.entries[partition]!, "\(context): \(partition) from \(id)")
                #expect(restored.nextOffset == expected[id]!.offsets[partition], "\(context): offset of \(partition) in \(id)")
            }
        }
        for id in newestFirst {
            #expect(store.verify(id).isEmpty, "\(context): verify \(id)")
            for (partition, entries) in expected[id]!.entries {
                let restored = try store.restore(partition, from: id)
                #expect(contents(of: restored.state) == entries, "\(context): \(partition) from \(id)")
            }
        }
        return coverage
    }
}
