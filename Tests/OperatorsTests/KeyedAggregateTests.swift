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
}
