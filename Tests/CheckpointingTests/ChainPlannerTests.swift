import KeyedState
import Testing
@testable import Checkpointing

@Suite struct ChainPlannerTests {
    let file = StateFileReference(name: "c1.full", kind: .full, size: 100, crc32c: 1, recordCount: 3)

    func chain(_ checkpointID: String, _ capture: UInt64, files: [StateFileReference]? = nil) -> PartitionChain {
        PartitionChain(checkpointID: checkpointID, captureID: CaptureID(rawValue: capture), files: files ?? [file])
    }

    func plan(_ planner: ChainPlanner, since: UInt64, capture: UInt64 = 99, changes: Int = 1, keys: Int = 10) -> ChainPlanner.Plan {
        planner.plan(
            ordersZero, changesSince: CaptureID(rawValue: since), captureID: CaptureID(rawValue: capture),
            changeCount: changes, keyCount: keys)
    }

    @Test func writesAFullBaseWithoutADurableChain() {
        let planner = ChainPlanner(maxDeltas: 3, maxDeltaBytes: 1000)
        #expect(plan(planner, since: 1) == .full(.noDurableChain))
    }

    @Test func writesADeltaOnlyWhenTheChangeLogContinuesTheChain() {
        var planner = ChainPlanner(maxDeltas: 3, maxDeltaBytes: 1000)
        planner.written([ordersZero: chain("c1", 1)])
        #expect(plan(planner, since: 1) == .delta(on: chain("c1", 1)))
        #expect(plan(planner, since: 2) == .full(.changesDoNotContinueChain))
    }

    @Test func writesNothingForAnUnchangedPartition() {
        var planner = ChainPlanner(maxDeltas: 3, maxDeltaBytes: 1000)
        planner.written([ordersZero: chain("c1", 1)])
        #expect(plan(planner, since: 1, capture: 5, changes: 0) == .unchanged(chain("c1", 5)))
    }

    @Test func writesAFullBaseWhenTheChainPassesItsCountOrSize() {
        let delta = StateFileReference(name: "c2.delta", kind: .delta, size: 600, crc32c: 2, recordCount: 1)
        var planner = ChainPlanner(maxDeltas: 2, maxDeltaBytes: 1000)
        planner.written([ordersZero: chain("c3", 1, files: [file, delta, delta])])
        #expect(plan(planner, since: 1) == .full(.chainTooLong))
        planner = ChainPlanner(maxDeltas: 5, maxDeltaBytes: 1000)
        planner.written([ordersZero: chain("c3", 1, files: [file, delta, delta])])
        #expect(plan(planner, since: 1) == .full(.chainTooLarge))
        #expect(plan(planner, since: 1, changes: 10, keys: 10) != .delta(on: chain("c3", 1, files: [file, delta, delta])))
    }

    @Test func discardGoesBackToTheChainBeforeTheDiscardedCheckpoint() {
        var planner = ChainPlanner(maxDeltas: 3, maxDeltaBytes: 1000)
        planner.written([ordersZero: chain("c1", 1)])
        planner.written([ordersZero: chain("c2", 2)])
        planner.discarded("c2")
        #expect(plan(planner, since: 1) == .delta(on: chain("c1", 1)))
        planner.discarded("c1")
        #expect(plan(planner, since: 1) == .full(.noDurableChain))
    }

    @Test func forgetsChainsWhoseFilesRetentionRemoved() {
        var planner = ChainPlanner(maxDeltas: 3, maxDeltaBytes: 1000)
        planner.written([ordersZero: chain("c1", 1)])
        planner.keepOnly { _, name in name != "c1.full" }
        #expect(plan(planner, since: 1) == .full(.noDurableChain))
    }

    @Test func retentionKeepsTheNewestAndThePinned() {
        let policy = RetentionPolicy(keepNewest: 2, pinned: ["c1", "gone"])
        let (kept, removed) = policy.apply(toNewestFirst: ["c5", "c4", "c3", "c2", "c1"])
        #expect(kept == ["c5", "c4", "c1"])
        #expect(removed == ["c3", "c2"])
    }
}
