import KeyedState
import Testing

@testable import Operators

@Suite struct DeduplicateOracleTests {
    /// The oracle: a record is a duplicate when an earlier record with the same identity passed
    /// and that record's event time + ttl is still above the watermark before this record.
    private func oracle(_ events: [RandomEvent], identity: (RandomEvent) -> String, ttl: Int64, bound: Int64) -> [String] {
        var passed: [(identity: String, time: Int64)] = []
        var watermark: Int64?
        var maxTime: Int64?
        var out: [String] = []
        for event in events {
            let id = identity(event)
            let duplicate = passed.contains { earlier in earlier.identity == id && watermark.map { earlier.time + ttl > $0 } ?? true }
            if !duplicate {
                passed.append((id, event.time))
                out.append(event.json)
            }
            maxTime = max(maxTime ?? event.time, event.time)
            watermark = max(watermark ?? .min, maxTime! - bound)
        }
        return out
    }

    private func check(_ pipeline: Pipeline, identity: (RandomEvent) -> String, ttl: Int64, bound: Int64) throws {
        for seed in testSeeds() {
            let events = RandomEvent.stream(seed: seed)
            let actual = outputs(try run(pipeline, RandomEvent.records(events)))
            let expected = oracle(events, identity: identity, ttl: ttl, bound: bound)
            #expect(actual == expected, "seed \(seed) (rerun with EXACTLY_OPERATOR_SEED=\(seed))")
            #expect(expected.count < events.count, "seed \(seed): no duplicates were dropped, so it tests nothing")
        }
    }

    @Test func deduplicateByFieldMatchesTheOracle() throws {
        let pipeline = Pipeline(eventTime: .field("ts", format: .epochMillis), watermarks: Watermarks(maxOutOfOrderness: .milliseconds(20)))
            .deduplicate(by: "id", ttl: .milliseconds(300))
        try check(pipeline, identity: { "\($0.id)" }, ttl: 300, bound: 20)
    }

    @Test func deduplicateByKeyMatchesTheOracle() throws {
        let pipeline = Pipeline(eventTime: .field("ts", format: .epochMillis), watermarks: Watermarks(maxOutOfOrderness: .milliseconds(5)))
            .keyBy(field: "k")
            .deduplicate(ttl: .milliseconds(60))
        try check(pipeline, identity: { $0.key }, ttl: 60, bound: 5)
    }

    @Test func entriesExpireAndTheirStateIsRemoved() throws {
        let pipeline = Pipeline(eventTime: .field("ts", format: .epochMillis)).deduplicate(by: "id", ttl: .milliseconds(10))
        var state = PartitionState()
        let emitted = try run(pipeline, records([
            #"{"id":1,"ts":0}"#, #"{"id":1,"ts":5}"#, #"{"id":2,"ts":10}"#, #"{"id":1,"ts":11}"#, #"{"id":3,"ts":100}"#,
        ]), state: &state)
        #expect(outputs(emitted) == [#"{"id":1,"ts":0}"#, #"{"id":2,"ts":10}"#, #"{"id":1,"ts":11}"#, #"{"id":3,"ts":100}"#])
        // Only id 3's entry and the watermark remain.
        #expect(state.count == 2)
    }
}
