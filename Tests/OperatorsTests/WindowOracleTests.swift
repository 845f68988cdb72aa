import KeyedState
import Testing

@testable import Operators

@Suite struct WindowOracleTests {
    private static let aggregate = Aggregation.fields([.count(), .sum("amount"), .min("amount"), .max("amount")])

    private func check(_ spec: WindowSpec, _ oracleShape: WindowOracle.Shape, bound: Int64, lateness: Int64, late: LatePolicy) throws {
        for seed in testSeeds() {
            let events = RandomEvent.stream(seed: seed)
            let pipeline = Pipeline(eventTime: .field("ts", format: .epochMillis),
                                    watermarks: Watermarks(maxOutOfOrderness: .milliseconds(bound)))
                .keyBy(field: "k")
                .window(spec, allowedLateness: .milliseconds(lateness), late: late, aggregate: Self.aggregate)
            var state = PartitionState()
            var processor = try pipeline.processor(topic: "in", partition: 0)
            var emissions: [Emission] = []
            for record in RandomEvent.records(events) {
                try processor.process(record, state: &state, into: &emissions)
            }
            let actual = try emissions.map(WindowEmission.decode)
            let oracle = WindowOracle(shape: oracleShape, bound: bound, lateness: lateness, deadLetterLate: late == .deadLetter)
            let expected = oracle.run(events)
            #expect(actual == expected.emissions, "seed \(seed) (rerun with EXACTLY_OPERATOR_SEED=\(seed))")
            #expect(processor.lateRecordsDropped(in: state) == Int64(expected.dropped), "seed \(seed)")
            #expect(!expected.emissions.isEmpty, "seed \(seed): the stream produced no results, so it tests nothing")
        }
    }

    @Test func tumblingWindowsMatchTheOracle() throws {
        try check(.tumbling(size: .milliseconds(100)), .fixed(size: 100, slide: 100), bound: 30, lateness: 0, late: .drop)
    }

    @Test func tumblingWindowsWithLatenessUpdateAndDeadLetterLateRecords() throws {
        try check(.tumbling(size: .milliseconds(100)), .fixed(size: 100, slide: 100), bound: 20, lateness: 200, late: .deadLetter)
    }

    @Test func slidingWindowsMatchTheOracle() throws {
        try check(.sliding(size: .milliseconds(150), slide: .milliseconds(50)), .fixed(size: 150, slide: 50), bound: 25, lateness: 100, late: .drop)
    }

    @Test func slidingWindowsWithUnevenSlideMatchTheOracle() throws {
        try check(.sliding(size: .milliseconds(100), slide: .milliseconds(40)), .fixed(size: 100, slide: 40), bound: 0, lateness: 0, late: .deadLetter)
    }

    @Test func sessionWindowsMatchTheOracle() throws {
        try check(.session(gap: .milliseconds(40)), .session(gap: 40), bound: 30, lateness: 0, late: .drop)
    }

    @Test func sessionWindowsWithLatenessMergeLateRecordsLikeTheOracle() throws {
        try check(.session(gap: .milliseconds(25)), .session(gap: 25), bound: 10, lateness: 300, late: .deadLetter)
    }

    @Test func windowResultsAreEmittedWhenTheWatermarkPassesTheEnd() throws {
        let pipeline = Pipeline(eventTime: .field("ts", format: .epochMillis), watermarks: Watermarks(maxOutOfOrderness: .milliseconds(5)))
            .keyBy(field: "k")
            .window(.tumbling(size: .milliseconds(10)), aggregate: .count)
        var processor = try pipeline.processor(topic: "in", partition: 0)
        var state = PartitionState()
        #expect(try processor.process(record(#"{"k":"a","ts":3}"#), state: &state).isEmpty)
        #expect(try processor.process(record(#"{"k":"a","ts":14}"#), state: &state).isEmpty)  // watermark 9
        let fired = try processor.process(record(#"{"k":"b","ts":15}"#), state: &state)        // watermark 10
        #expect(outputs(fired) == [#"{"key":"a","window_start":0,"window_end":10,"count":1}"#])
        #expect(fired.first?.record.timestamp == 9)
    }
}
