import KeyedState
import Testing

@testable import Operators

@Suite struct KeyedAggregateTests {
    @Test func runningCountAndSumEmitOneUpdatedRecordPerInput() throws {
        let pipeline = Pipeline().keyBy(field: "user").aggregate(.fields([.count(), .sum("amount")]))
        let emitted = try run(pipeline, records([
            #"{"user": "k1", "amount": 40}"#, #"{"user": "k2", "amount": 1.5}"#, #"{"user": "k1", "amount": 2.5}"#,
        ]))
        #expect(outputs(emitted) == [
            #"{"key":"k1","count":1,"sum":40}"#, #"{"key":"k2","count":1,"sum":1.5}"#, #"{"key":"k1","count":2,"sum":42.5}"#,
        ])
        #expect(emitted.map { $0.record.key.map(text) } == ["k1", "k2", "k1"])
    }

    @Test func minMaxAndAverageFollowEveryRecord() throws {
        let pipeline = Pipeline().keyBy(field: "k").aggregate(.fields([.min("v"), .max("v"), .average("v", as: "mean")]))
        let emitted = try run(pipeline, records([#"{"k": 1, "v": 4}"#, #"{"k": 1, "v": -2}"#, #"{"k": 1, "v": 10}"#]))
        #expect(outputs(emitted) == [
            #"{"key":"1","min":4,"max":4,"mean":4}"#, #"{"key":"1","min":-2,"max":4,"mean":1}"#,
            #"{"key":"1","min":-2,"max":10,"mean":4}"#,
        ])
    }

    @Test func keyByClosureAndUserReduce() throws {
        let pipeline = Pipeline()
            .keyBy { Array($0.value.prefix(1)) }
            .aggregate(.reduce { running, value in running + bytes("+") + value })
        let emitted = try run(pipeline, records(["a1", "b1", "a2", "a3"]))
        #expect(outputs(emitted) == ["a1", "b1", "a1+a2", "a1+a2+a3"])
    }

    @Test func userAggregateKeepsItsAccumulatorInState() throws {
        let longest = Aggregation.aggregate(
            initial: "",
            add: { (longest: inout String, record: Record) in
                let word = text(record.value)
                if word.count > longest.count { longest = word }
            },
            merge: { $0.count >= $1.count ? $0 : $1 },
            result: { longest, context in bytes("\(text(context.key)):\(longest)") })
        let pipeline = Pipeline().keyBy { _ in bytes("all") }.aggregate(longest)
        var state = PartitionState()
        let emitted = try run(pipeline, records(["to", "three", "four"]), state: &state)
        #expect(outputs(emitted) == ["all:to", "all:three", "all:three"])
        #expect(state.count == 1)
    }

    @Test func keyedOperatorWithoutKeyIsADeadLetter() throws {
        let emitted = try run(Pipeline().aggregate(.count), [record("{}"), record("{}", key: "k")])
        #expect(deadLetters(emitted).map { $0.header(DeadLetterHeader.code) } == ["missingKey"])
        #expect(outputs(emitted) == [#"{"key":"k","count":1}"#])
    }

    /// The runtime keeps one `Record` per run of records and sets its fields for each
    /// (`process(reusing:)`): the emissions must be those of a record built per call, whatever
    /// the operators left in the reused one (a `map` that rewrote it, a dead letter).
    @Test func aReusedRecordEmitsWhatAFreshRecordDoes() throws {
        let pipeline = Pipeline()
            .map { record in
                var changed = record
                changed.headers.append(RecordHeader(name: "seen", text: "yes"))
                return changed
            }
            .keyBy(field: "user")
            .aggregate(.fields([.count(), .sum("amount")]))
        let input = [
            record(#"{"user": "k1", "amount": 40}"#, offset: 0, timestamp: 10),
            record(#"{"amount": 1}"#, offset: 1, timestamp: 11),
            record(#"{"user": "k2", "amount": 1.5}"#, offset: 2, timestamp: 12),
            record(#"{"user": "k1", "amount": "x"}"#, offset: 3, timestamp: 13),
            record(#"{"user": "k1", "amount": 2.5}"#, offset: 4, timestamp: 14),
        ]
        let fresh = try run(pipeline, input)

        var processor = try pipeline.processor(topic: "in", partition: 0)
        var state = PartitionState()
        var reused: [Emission] = []
        var record = Record(key: nil, value: [], topic: "in", partition: 0, offset: 0, timestamp: 0)
        for next in input {
            record.key = next.key
            record.value = next.value
            record.headers = next.headers
            record.offset = next.offset
            record.timestamp = next.timestamp
            record.eventTime = nil
            try processor.process(reusing: &record, state: &state, into: &reused)
        }
        #expect(reused.count == 5)
        #expect(deadLetters(reused).count == 2)
        #expect(reused.map(\.record) == fresh.map(\.record))
    }
}
