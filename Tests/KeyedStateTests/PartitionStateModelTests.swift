import KeyedState
import Testing

/// `PartitionState` keeps writes in change logs that are folded into its map later, by a
/// snapshot's writer or by itself; none of that may be visible. Random operations are checked
/// against a plain dictionary, and every snapshot kept along the way must keep its contents.
@Suite struct PartitionStateModelTests {
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    func contents(_ state: PartitionState) -> [StateKey: [UInt8]] {
        var result: [StateKey: [UInt8]] = [:]
        state.forEach { key, value in result[key] = value }
        return result
    }

    @Test(arguments: 0..<20)
    func behavesLikeADictionaryThroughCapturesFoldsRestoresAndCopies(_ run: Int) {
        let seed = UInt64.random(in: 0...UInt64.max)
        var random = Generator(state: seed)
        var state = PartitionState()
        var model: [StateKey: [UInt8]] = [:]
        var kept: [(snapshot: PartitionSnapshot, contents: [StateKey: [UInt8]])] = []
        for step in 0..<600 {
            let key = StateKey([UInt8.random(in: 0..<40, using: &random)])
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<35:
                // Values past 24 bytes are stored in an array, shorter ones inline.
                let length = Int.random(in: 0..<10, using: &random) == 0 ? StateValue.inlineCapacity + 1 : 1
                let value = Array(repeating: UInt8.random(in: 0...255, using: &random), count: length)
                state.put(value, for: key)
                model[key] = value
            case 35..<50:
                // A read-modify-write sees what the model holds and stores what it returns.
                let added = UInt8.random(in: 1...9, using: &random)
                let stored = state.update(key) { current in
                    #expect(current == model[key], "seed \(seed) step \(step)")
                    return [(current?.first ?? 0) &+ added]
                }
                model[key] = [(model[key]?.first ?? 0) &+ added]
                #expect(stored == model[key], "seed \(seed) step \(step)")
            case 50..<55:
                // A transform that throws changes nothing.
                struct Refused: Error {}
                #expect(throws: Refused.self) { try state.update(key) { _ in throw Refused() } }
            case 55..<75:
                state.delete(key)
                model[key] = nil
            case 75..<88:
                let snapshot = state.captureSnapshot()
                kept.append((snapshot, model))
                if kept.count > 12 { kept.removeFirst() }
            case 88..<94:
                // A checkpoint writer folds some snapshot's logs on its own.
                kept.randomElement(using: &random)?.snapshot.entries.materialize()
            case 94..<97:
                if let old = kept.randomElement(using: &random) {
                    state.restore(old.snapshot)
                    model = old.contents
                }
            default:
                // A copy that goes its own way must not disturb the original.
                var copy = state
                copy.put([0xEE], for: key)
                _ = copy.captureSnapshot()
                copy.captureSnapshot().entries.materialize()
            }
            #expect(state[key] == model[key], "seed \(seed) step \(step)")
            #expect(state.count == model.count, "seed \(seed) step \(step)")
        }
        #expect(contents(state) == model, "seed \(seed)")
        #expect(state.entries.count == model.count, "seed \(seed)")
        var withPrefix: [StateKey: [UInt8]] = [:]
        state.forEach(withPrefix: [7]) { key, value in withPrefix[key] = value }
        #expect(withPrefix == model.filter { $0.key.hasPrefix([7]) }, "seed \(seed)")
        for (snapshot, expected) in kept {
            #expect(snapshot.count == expected.count, "seed \(seed)")
            var unfolded: [StateKey: [UInt8]] = [:]
            snapshot.entries.forEachEntry { key, value in unfolded[key] = value.bytes }
            #expect(unfolded == expected, "seed \(seed)")
            #expect(Dictionary(uniqueKeysWithValues: snapshot.entries.map { ($0.key, $0.value.bytes) }) == expected, "seed \(seed)")
            for key in expected.keys { #expect(snapshot.entries[key]?.bytes == expected[key], "seed \(seed)") }
        }
    }

    @Test func snapshotsNeverFoldedStillLeaveTheStateCorrect() {
        var state = PartitionState()
        var snapshots: [PartitionSnapshot] = []
        for round in 0..<(3 * PartitionState.maxPendingLayers) {
            state.put([UInt8(round)], for: StateKey([UInt8(round % 5)]))
            snapshots.append(state.captureSnapshot())
        }
        #expect(state.count == 5)
        let lastWriteOfKeyZero = (0..<(3 * PartitionState.maxPendingLayers)).last { $0 % 5 == 0 }!
        #expect(state[StateKey([0])] == [UInt8(lastWriteOfKeyZero)])
        #expect(snapshots[0].entries[StateKey([0])] == [0])
        #expect(snapshots[0].count == 1)
    }
}
