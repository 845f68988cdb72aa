import KeyedState
import Testing

/// `StateMap` shares buckets between copies and doubles its bucket table as it grows; neither may
/// be visible. Random operations are checked against a plain dictionary, over enough keys to
/// double the table several times, and every copy kept along the way must keep its contents.
@Suite struct StateMapTests {
    func contents(_ map: StateMap) -> [StateKey: StateValue] {
        var result: [StateKey: StateValue] = [:]
        for (key, value) in map {
            #expect(result.updateValue(value, forKey: key) == nil, "the map yields \(key) twice")
        }
        return result
    }

    @Test(arguments: 0..<6)
    func behavesLikeADictionaryThroughCopiesAndGrowth(_ run: Int) {
        let seed = UInt64.random(in: 0...UInt64.max)
        var random = PartitionStateModelTests.Generator(state: seed)
        let keySpace = [40, 3_000, 20_000][run % 3]
        var map = StateMap()
        var model: [StateKey: StateValue] = [:]
        var kept: [(map: StateMap, contents: [StateKey: StateValue])] = []
        for step in 0..<30_000 {
            let key = StateKey(namespace: "k", key: Array(String(Int.random(in: 0..<keySpace, using: &random)).utf8))
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<60:
                // Short values are stored inline, long ones (past 24 bytes) in an array.
                let length = Bool.random(using: &random) ? 2 : StateValue.inlineCapacity + 6
                let value = StateValue([UInt8.random(in: 0...255, using: &random)] + Array(repeating: UInt8(step & 0xFF), count: length - 1))
                #expect(map.updateValue(value, forKey: key) == model.updateValue(value, forKey: key), "seed \(seed)")
            case 60..<75:
                #expect(map.removeValue(forKey: key) == model.removeValue(forKey: key), "seed \(seed)")
            case 75..<99:
                #expect(map[key] == model[key], "seed \(seed)")
            default:
                kept.append((map, model))
            }
            #expect(map.count == model.count, "seed \(seed) step \(step)")
        }
        #expect(contents(map) == model, "seed \(seed)")
        for (copy, expected) in kept {
            #expect(copy.count == expected.count, "seed \(seed)")
            #expect(contents(copy) == expected, "seed \(seed)")
        }
    }

    @Test func aLoadBuildsTheSameMapAsInserts() {
        var load = StateMap.Load(capacity: 10)  // grows past its first guess
        var model: [StateKey: StateValue] = [:]
        for index in 0..<5_000 {
            let key = StateKey(namespace: "load", key: Array(String(index).utf8))
            load.append(key, [UInt8(index & 0xFF)])
            model[key] = [UInt8(index & 0xFF)]
        }
        let map = load.build()
        #expect(map.count == 5_000)
        #expect(contents(map) == model)
        for (key, value) in model { #expect(map[key] == value) }
    }

    @Test func aLoadCountsAKeyAppendedTwiceOnce() {
        // A caller must not do this; if a damaged input does, the count must still be true so
        // that a checkpoint's key-count check catches it.
        var load = StateMap.Load(capacity: 4)
        load.append(StateKey([1]), [1])
        load.append(StateKey([1]), [2])
        load.append(StateKey([2]), [3])
        let map = load.build()
        #expect(map.count == 2)
        #expect(contents(map).count == 2)
    }

    @Test func aLiteralKeepsTheLastValueOfARepeatedKey() {
        let map: StateMap = [StateKey([1]): [1], StateKey([2]): [2], StateKey([1]): [3]]
        #expect(map.count == 2)
        #expect(map[StateKey([1])] == [3])
    }
}
