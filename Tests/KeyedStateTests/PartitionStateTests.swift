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

    @Test func aCaptureAdoptsAnOlderSnapshotsFoldWhenTheNewerOnesAreNotFolded() {
        let (a, b, c) = (StateKey([1]), StateKey([2]), StateKey([3]))
        var state = PartitionState()
        state.put([1], for: a)
        let first = state.captureSnapshot()
        state.put([2], for: b)
        let second = state.captureSnapshot()
        #expect(state.unfoldedLayerCount == 2)
        // The writer folded the first snapshot only after the second was captured.
        first.entries.materialize()
        state.put([3], for: c)
        _ = state.captureSnapshot()
        #expect(state.unfoldedLayerCount == 2, "the first log is adopted as folded; the second and third wait")
        // The second snapshot's fold starts from the first's and is adopted in turn.
        second.entries.materialize()
        #expect(Dictionary(uniqueKeysWithValues: second.entries.map { ($0.key, $0.value) }) == [a: [1], b: [2]])
        _ = state.captureSnapshot()
        #expect(state.unfoldedLayerCount == 1)
        #expect(state[a] == [1] && state[b] == [2] && state[c] == [3] && state.count == 3)
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

@Suite struct StateKeyTests {
    /// Keys up to 24 bytes are stored inline, longer ones on the heap; both must behave the same.
    static let samples: [[UInt8]] = [
        [], [0], [0, 0], [1], [1, 0], [255], Array(repeating: 7, count: 23), Array(repeating: 7, count: 24),
        Array(repeating: 7, count: 25), Array(repeating: 0, count: 24), Array(repeating: 0, count: 25),
        Array(0..<40), Array(0..<24) + [0], [0x80, 1], [0x7F, 0xFF],
    ]

    @Test func bytesRoundTripAtEveryLength() {
        for length in 0...40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 1) }
            let key = StateKey(bytes)
            #expect(key.bytes == bytes)
            #expect(key.count == length)
            #expect(key.withUnsafeBytes { Array($0) } == bytes)
        }
    }

    @Test func orderAndEqualityFollowTheBytes() {
        for left in Self.samples {
            for right in Self.samples {
                let a = StateKey(left)
                let b = StateKey(right)
                #expect((a < b) == left.lexicographicallyPrecedes(right), "\(left) < \(right)")
                #expect((a == b) == (left == right), "\(left) == \(right)")
                if left == right { #expect(a.hashValue == b.hashValue) }
            }
        }
    }

    @Test func prefixesMatchAcrossTheInlineBoundary() {
        let long = StateKey(Array(0..<30))
        #expect(long.hasPrefix(Array(0..<24)))
        #expect(StateKey(Array(0..<10)).hasPrefix(Array(0..<10)))
        #expect(!StateKey(Array(0..<10)).hasPrefix(Array(0..<11)))
        #expect(StateKey([0x61, 0x62]).description == "ab")
        #expect(StateKey([0x61, 0x00, 0x62]).description == "610062")
    }
}

@Suite struct StateValueTests {
    @Test func bytesSurviveOnBothSidesOfTheInlineBoundary() {
        for length in [0, 1, 8, 23, StateValue.inlineCapacity, StateValue.inlineCapacity + 1, 100] {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 1) }
            let value = StateValue(bytes)
            #expect(value.bytes == bytes, "length \(length)")
            #expect(value.count == length)
            #expect(value.withUnsafeBytes { Array($0) } == bytes)
            #expect(bytes.withUnsafeBytes { StateValue(copying: $0) } == value)
            // Zero padding must not make a shorter value equal a longer one ending in zeros.
            #expect(StateValue(bytes + [0]) != value, "length \(length)")
        }
        #expect(StateValue([0x0a, 0xff]).description == "0aff")
    }
}
