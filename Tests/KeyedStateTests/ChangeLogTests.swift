import KeyedState
import Testing

/// `ChangeLog` is a hash table of its own; checked against a plain dictionary through growth,
/// reservations and copies that go their own ways.
@Suite struct ChangeLogTests {
    @Test(arguments: 0..<6)
    func behavesLikeADictionaryThroughGrowthAndCopies(_ run: Int) {
        let seed = UInt64.random(in: 0...UInt64.max)
        var random = PartitionStateModelTests.Generator(state: seed)
        let keySpace = [30, 2_000, 50_000][run % 3]
        var log = run % 2 == 0 ? ChangeLog() : ChangeLog(minimumCapacity: 100)
        var model: [StateKey: StateValue?] = [:]
        var kept: [(log: ChangeLog, model: [StateKey: StateValue?])] = []
        for step in 0..<20_000 {
            // Keys short (inline) and long (in an array), values short, long and deletions.
            let number = Int.random(in: 0..<keySpace, using: &random)
            let key = number % 5 == 0
                ? StateKey(Array(repeating: 7, count: 30) + Array(String(number).utf8))
                : StateKey(namespace: "k", key: String(number))
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<55:
                let change: StateValue? = Bool.random(using: &random)
                    ? StateValue([UInt8(step & 0xFF)])
                    : (Bool.random(using: &random) ? nil : StateValue(Array(repeating: UInt8(step & 0xFF), count: 40)))
                let replaced = model.updateValue(change, forKey: key)
                #expect(log.record(change, for: key) == replaced, "seed \(seed) step \(step)")
            case 55..<95:
                #expect(log[key] == model[key], "seed \(seed) step \(step)")
            case 95..<98:
                if kept.count < 20 { kept.append((log, model)) }
            default:
                log.reserveCapacity(log.count + Int.random(in: 0..<5_000, using: &random))
            }
            #expect(log.count == model.count, "seed \(seed) step \(step)")
        }
        #expect(log.dictionary == model, "seed \(seed)")
        for (copy, expected) in kept {
            #expect(copy.count == expected.count, "seed \(seed)")
            #expect(copy.dictionary == expected, "seed \(seed)")
        }
    }

    @Test func aDeletionIsAChangeAndAbsenceIsNot() {
        var log: ChangeLog = [StateKey([1]): nil]
        #expect(log[StateKey([1])] == .some(nil))
        #expect(log[StateKey([2])] == nil)
        #expect(log.record(StateValue([5]), for: StateKey([1])) == .some(nil))
        #expect(log[StateKey([1])] == .some(StateValue([5])))
        #expect(log.count == 1)
        #expect(ChangeLog().isEmpty && ChangeLog()[StateKey([1])] == nil)
    }
}
