import Foundation
import KeyedState
import Testing
import ExactlyTesting
@testable import Checkpointing

/// The seeded generator is ExactlyTesting's `SeededRandom` (SplitMix64), so a failing property
/// run can be replayed from the seed it prints.
extension SeededRandom {
    /// The seed to use: `CHECKPOINT_TEST_SEED` if set, otherwise a fresh random one.
    static func seed() -> UInt64 {
        if let text = ProcessInfo.processInfo.environment["CHECKPOINT_TEST_SEED"], let seed = UInt64(text) {
            return seed
        }
        return UInt64.random(in: 0...UInt64.max)
    }
}

/// A fresh, empty directory under the system's temporary directory, removed by ``remove()``.
struct TemporaryDirectory {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "exactly-checkpoint-tests-" + UUID().uuidString
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// A store holding one checkpoint, `i1-1`, of orders-0 with key 1 = [1]; and that state.
    func storeWithOneCheckpoint(
        orphanGracePeriod: Double = 0
    ) throws -> (CheckpointStore, [PartitionID: PartitionState]) {
        let store = try store(orphanGracePeriod: orphanGracePeriod)
        var states = [ordersZero: PartitionState()]
        states[ordersZero]!.put([1], for: key(1))
        try store.checkpoint("i1-1", &states)
        return (store, states)
    }

    func store(
        application: String = "app", instance: String = "i1", maxDeltas: Int = 10,
        maxDeltaBytes: Int64 = 1 << 30, orphanGracePeriod: Double = 0
    ) throws -> CheckpointStore {
        try CheckpointStore(
            configuration: CheckpointStoreConfiguration(
                directory: path, application: application, instance: instance, maxDeltasPerChain: maxDeltas,
                maxDeltaBytesPerChain: maxDeltaBytes, orphanGracePeriod: orphanGracePeriod))
    }
}

/// The entries of a state or snapshot as a plain dictionary, for comparing.
func contents(of state: PartitionState) -> [StateKey: [UInt8]] {
    var result: [StateKey: [UInt8]] = [:]
    state.forEach { key, value in result[key] = value }
    return result
}

func contents(of snapshot: PartitionSnapshot) -> [StateKey: [UInt8]] {
    var result: [StateKey: [UInt8]] = [:]
    for (key, value) in snapshot.entries { result[key] = value.bytes }
    return result
}

extension CheckpointStore {
    /// Captures `state` and writes it alone as checkpoint `checkpointID`, blocking.
    @discardableResult
    func checkpoint(
        _ checkpointID: String, _ states: inout [PartitionID: PartitionState], offset: Int64 = 0
    ) throws -> CheckpointManifest {
        var parts: [PartitionCheckpoint] = []
        for partition in states.keys.sorted() {
            parts.append(
                PartitionCheckpoint(partition: partition, snapshot: states[partition]!.captureSnapshot(), nextOffset: offset))
        }
        return try writeAndWait(checkpointID: checkpointID, partitions: parts)
    }
}

let ordersZero = PartitionID(topic: "orders", partition: 0)
let ordersOne = PartitionID(topic: "orders", partition: 1)

func key(_ number: Int) -> StateKey {
    StateKey(namespace: "k", key: String(number))
}
