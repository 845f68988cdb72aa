import KeyedState

/// The durable chain of state files that holds a partition's state as of one capture.
struct PartitionChain: Sendable, Equatable {
    /// The checkpoint whose manifest recorded this chain.
    var checkpointID: String
    /// The capture whose state the chain holds.
    var captureID: CaptureID
    /// A full base, then deltas in order.
    var files: [StateFileReference]

    var deltaCount: Int { files.count - 1 }
    var deltaBytes: Int64 { files.dropFirst().reduce(0) { $0 + $1.size } }
}

/// Decides, per partition, whether a snapshot is written as a full base, as a delta on the
/// partition's durable chain, or not at all (nothing changed); and keeps those chains.
///
/// A value type with no I/O: events in (``plan(_:changesSince:captureID:changeCount:keyCount:)``,
/// ``written(_:)``, ``discarded(_:)``, ``adopted(_:_:)``, ``keepOnly(_:)``), decisions out.
///
/// The rule that keeps deltas sound: a snapshot's change log leads from the capture named by its
/// `changesSince`; the chain holds the state of capture `captureID`. Only when the two are the
/// same capture is "chain + change log" the snapshot's state. Anything else (no chain, a gap
/// after a discarded checkpoint, a state restored from elsewhere) gets a full base.
struct ChainPlanner: Sendable {
    /// What to write for one partition.
    enum Plan: Equatable, Sendable {
        /// A full base, for this reason.
        case full(FullReason)
        /// A delta appended to this chain.
        case delta(on: PartitionChain)
        /// Nothing: the chain already holds the snapshot's state.
        case unchanged(PartitionChain)
    }

    /// Why a full base is written.
    enum FullReason: String, Equatable, Sendable {
        case noDurableChain, changesDoNotContinueChain, chainTooLong, chainTooLarge, deltaNotSmaller
    }

    /// Bounds on a chain's deltas; past either, the next write is a full base.
    var maxDeltas: Int
    var maxDeltaBytes: Int64

    private var chains: [PartitionID: (current: PartitionChain, previous: PartitionChain?)] = [:]

    init(maxDeltas: Int, maxDeltaBytes: Int64) {
        self.maxDeltas = maxDeltas
        self.maxDeltaBytes = maxDeltaBytes
    }

    /// The chain the partition's next delta would extend, if any.
    func chain(for partition: PartitionID) -> PartitionChain? {
        chains[partition]?.current
    }

    /// What to write for a snapshot of `partition`.
    func plan(
        _ partition: PartitionID, changesSince: CaptureID, captureID: CaptureID, changeCount: Int, keyCount: Int
    ) -> Plan {
        guard let chain = chains[partition]?.current else { return .full(.noDurableChain) }
        guard chain.captureID == changesSince else { return .full(.changesDoNotContinueChain) }
        if changeCount == 0 {
            var same = chain
            same.captureID = captureID
            return .unchanged(same)
        }
        if chain.deltaCount >= maxDeltas { return .full(.chainTooLong) }
        if chain.deltaBytes >= maxDeltaBytes { return .full(.chainTooLarge) }
        if changeCount >= max(keyCount, 1) { return .full(.deltaNotSmaller) }
        return .delta(on: chain)
    }

    /// A checkpoint's manifest is durable with these chains.
    mutating func written(_ newChains: [PartitionID: PartitionChain]) {
        for (partition, chain) in newChains {
            chains[partition] = (chain, chains[partition]?.current)
        }
    }

    /// A checkpoint was abandoned: partitions whose chain it recorded go back to the chain
    /// before it, so a state rolled back to that capture may still be written as a delta.
    mutating func discarded(_ checkpointID: String) {
        for (partition, entry) in chains where entry.current.checkpointID == checkpointID {
            if let previous = entry.previous, previous.checkpointID != checkpointID {
                chains[partition] = (previous, nil)
            } else {
                chains[partition] = nil
            }
        }
    }

    /// A partition's state was restored from a chain this store cannot keep (another
    /// instance's): its next snapshot is a full base.
    mutating func forget(_ partition: PartitionID) {
        chains[partition] = nil
    }

    /// A partition's state was restored from `chain`; its next snapshot may extend it.
    mutating func adopted(_ partition: PartitionID, _ chain: PartitionChain) {
        chains[partition] = (chain, nil)
    }

    /// Forgets every chain with a file for which `isKept(partition, file name)` is false.
    mutating func keepOnly(_ isKept: (PartitionID, String) -> Bool) {
        for (partition, entry) in chains {
            let currentKept = entry.current.files.allSatisfy { isKept(partition, $0.name) }
            let previousKept = entry.previous.map { $0.files.allSatisfy { isKept(partition, $0.name) } } ?? false
            if !currentKept {
                chains[partition] = nil
            } else if !previousKept {
                chains[partition] = (entry.current, nil)
            }
        }
    }
}
