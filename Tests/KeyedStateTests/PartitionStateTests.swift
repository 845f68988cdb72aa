import KeyedState
import Testing

@Suite struct PartitionStateTests {
    @Test func snapshotKeepsValuesWrittenBeforeCaptureAfterLaterWrites() {
        var state = PartitionState()
        state.put([1], for: StateKey(namespace: "count", key: "a"))
        state.put([2], for: StateKey(namespace: "count", key: "b"))
        let snapshot = state.captureSnapshot()
        state.put([9], for: StateKey(namespace: "count", key: "a"))
        state.delete(StateKey(namespace: "count", key: "b"))

        #expect(snapshot.entries[StateKey(namespace: "count", key: "a")] == [1])
        #expect(snapshot.entries[StateKey(namespace: "count", key: "b")] == [2])
        #expect(state[StateKey(namespace: "count", key: "a")] == [9])
        #expect(state[StateKey(namespace: "count", key: "b")] == nil)
    }

    @Test func changeLogHoldsOnlyWritesSinceTheLastCapture() {
        var state = PartitionState()
        state.put([1], for: StateKey([1]))
        state.put([2], for: StateKey([2]))
        _ = state.captureSnapshot()
        state.put([3], for: StateKey([3]))
        state.delete(StateKey([1]))
        state.delete(StateKey([7]))  // absent: not a change
        let second = state.captureSnapshot()

        #expect(second.changes.count == 2)
        #expect(second.changes[StateKey([3])] == .some([3]))
        #expect(second.changes[StateKey([1])] == .some(nil))
        #expect(second.count == 2)
    }

    @Test func restoreDropsWritesSinceTheSnapshot() {
        var state = PartitionState()
        state.put([1], for: StateKey([1]))
        let snapshot = state.captureSnapshot()
        state.put([2], for: StateKey([2]))
        state.restore(snapshot)
        #expect(state.count == 1)
        #expect(state.changesSinceCapture.isEmpty)
    }

    @Test func namespacesDoNotCollide() {
        let a = StateKey(namespace: "ab", key: "c")
        let b = StateKey(namespace: "a", key: "bc")
        #expect(a != b)
        var state = PartitionState()
        state.put([1], for: a)
        state.put([2], for: b)
        var seen: [[UInt8]] = []
        state.forEach(withPrefix: StateKey.prefix(ofNamespace: "ab")) { _, value in seen.append(value) }
        #expect(seen == [[1]])
    }
}
