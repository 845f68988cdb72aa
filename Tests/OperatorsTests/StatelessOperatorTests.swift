import KeyedState
import Testing

@testable import Operators

@Suite struct StatelessOperatorTests {
    @Test func mapFilterAndFlatMapRunInDataFlowOrder() throws {
        let pipeline = Pipeline()
            .map { record in
                var record = record
                record.value = record.value.reversed()
                return record
            }
            .filter { $0.value.count > 1 }
            .flatMap { [$0, $0] }
        let emitted = try run(pipeline, records(["ab", "c", "de"]))
        #expect(outputs(emitted) == ["ba", "ba", "ed", "ed"])
    }

    @Test func outputsKeepKeyHeadersAndUseEventTimeAsTimestamp() throws {
        let pipeline = Pipeline(eventTime: .field("ts", format: .epochSeconds))
        let input = record(#"{"ts": 12.5}"#, key: "k", timestamp: 99, headers: [RecordHeader(name: "h", text: "v")])
        let emitted = try run(pipeline, [input])
        #expect(emitted == [.output(OutputRecord(key: bytes("k"), value: input.value, headers: input.headers, timestamp: 12_500))])
    }

    @Test func selectProjectAndExplodeReshapeJSON() throws {
        let pipeline = Pipeline()
            .select("order")
            .explode("lines")
            .project(renaming: [("sku", "item.sku"), ("qty", "qty")])
        let emitted = try run(pipeline, records([
            #"{"order": {"id": 1, "lines": [{"item": {"sku": "a"}, "qty": 2}, {"item": {"sku": "b"}, "qty": 1}]}}"#,
        ]))
        #expect(outputs(emitted) == [#"{"sku":"a","qty":2}"#, #"{"sku":"b","qty":1}"#])
    }

    @Test func predicatesCompareNumbersStringsAndPresence() throws {
        let values = [#"{"n": 5, "s": "x"}"#, #"{"n": 10, "s": "y"}"#, #"{"s": "z"}"#, #"{"n": 7.5, "s": "x", "flag": true}"#]
        func kept(_ predicate: FieldPredicate) throws -> [Int] {
            let emitted = try run(Pipeline().filter(predicate), records(values))
            return emitted.map { values.firstIndex(of: text($0.record.value))! }
        }
        #expect(try kept(FieldPredicate("n", .greaterThan(5))) == [1, 3])
        #expect(try kept(FieldPredicate("n", .atLeast(5))) == [0, 1, 3])
        #expect(try kept(FieldPredicate("n", .lessThan(10))) == [0, 3])
        #expect(try kept(FieldPredicate("n", .atMost(7.5))) == [0, 3])
        #expect(try kept(FieldPredicate("s", .equals(.string("x")))) == [0, 3])
        #expect(try kept(FieldPredicate("s", .notEquals(.string("x")))) == [1, 2])
        #expect(try kept(FieldPredicate("n", .exists(false))) == [2])
        #expect(try kept(FieldPredicate("s", .oneOf([.string("y"), .string("z")]))) == [1, 2])
        #expect(try kept(FieldPredicate("flag", .equals(.bool(true)))) == [3])
        #expect(try kept(FieldPredicate("n", .equals(.number(10)))) == [1])
    }

    @Test func undecodableRecordsBecomeDeadLettersNamingReasonOperatorAndSource() throws {
        let pipeline = Pipeline().filter(FieldPredicate("n", .greaterThan(0))).keyBy(field: "k").aggregate(.sum("n"))
        let input = [
            record(#"{"n": 1, "k": "a"}"#, offset: 10),
            record(#"{"n" 1, "k": "a"}"#, offset: 11, headers: [RecordHeader(name: "trace", text: "t1")]),
            record(#"{"n": "two", "k": "a"}"#, offset: 12),
            record(#"{"n": 3}"#, offset: 13),
            record(#"{"n": 4, "k": "a"}"#, offset: 14),
        ]
        let emitted = try run(pipeline, input)
        #expect(outputs(emitted) == [#"{"key":"a","sum":1}"#, #"{"key":"a","sum":5}"#])
        let dead = deadLetters(emitted)
        #expect(dead.map { $0.header(DeadLetterHeader.sourceOffset) } == ["11", "12", "13"])
        #expect(dead.map { $0.header(DeadLetterHeader.code) } == ["malformedJSON", "wrongType", "missingField"])
        #expect(dead.map { $0.header(DeadLetterHeader.operatorName) } == ["operators[0] filter", "operators[0] filter", "operators[1] key_by"])
        #expect(dead[1].header(DeadLetterHeader.reason) == "field `n` is a string (`\"two\"`), not a number")
        #expect(dead[0].header("trace") == "t1")
        #expect(dead[0].value == input[1].value)
        #expect(dead.allSatisfy { $0.header(DeadLetterHeader.sourceTopic) == "in" && $0.header(DeadLetterHeader.sourcePartition) == "0" })
    }

    @Test func stopPolicyThrowsNamingPartitionOffsetAndReason() throws {
        let pipeline = Pipeline(eventTime: .field("ts", format: .iso8601), onError: .stop)
        var processor = try pipeline.processor(topic: "orders", partition: 3)
        var state = PartitionState()
        let good = Record(key: nil, value: bytes(#"{"ts": "2026-01-01T00:00:00Z"}"#), topic: "orders", partition: 3, offset: 41, timestamp: 0)
        #expect(try processor.process(good, state: &state).count == 1)
        var bad = good
        bad.offset = 42
        bad.value = bytes(#"{"ts": 17}"#)
        let error = try #require(throws: PipelineStoppedError.self) { try processor.process(bad, state: &state) }
        #expect(error.partition == 3)
        #expect(error.offset == 42)
        #expect(error.reason.code == .badEventTime)
        #expect(error.description.contains("orders-3 offset 42"))
        #expect(error.description.contains("not an ISO 8601 time"))
    }

    @Test func throwingUserClosureIsADeadLetterWithItsError() throws {
        struct Refused: Error, CustomStringConvertible { var description: String { "refused" } }
        let emitted = try run(Pipeline().map { _ in throw Refused() }, records(["x"]))
        let dead = try #require(deadLetters(emitted).first)
        #expect(dead.header(DeadLetterHeader.code) == "operatorFailed")
        #expect(dead.header(DeadLetterHeader.reason) == "operator threw: refused")
    }
}

@Suite struct SwiftPipelineValidationTests {
    @Test func windowWithoutEventTimeIsRejectedBeforeAnyRecord() throws {
        let pipeline = Pipeline().keyBy(field: "k").window(.tumbling(size: .seconds(1)), aggregate: .count)
        let error = try #require(throws: PipelineDefinitionError.self) { try pipeline.processor(topic: "t", partition: 0) }
        #expect(error.code == .needsEventTime)
        #expect(error.path == "operators[1].window")
    }

    @Test func slideLongerThanTheWindowIsRejected() throws {
        let pipeline = Pipeline(eventTime: .recordTimestamp)
            .window(.sliding(size: .seconds(1), slide: .seconds(2)), aggregate: .count)
        let error = try #require(throws: PipelineDefinitionError.self) { try pipeline.processor(topic: "t", partition: 0) }
        #expect(error.code == .invalidValue)
        #expect(error.allowed == "size > 0, 0 < slide <= size, allowed lateness >= 0")
    }
}

@Suite struct RecordErrorTests {
    @Test func explodingSomethingThatIsNotAnArrayIsAWrongTypeDeadLetter() throws {
        let emitted = try run(Pipeline().explode("items"), records([#"{"items": {"a": 1}}"#, #"{"items": [1, "two"]}"#]))
        #expect(deadLetters(emitted).map { $0.header(DeadLetterHeader.reason) } == ["field `items` is an object, not an array"])
        #expect(outputs(emitted) == ["1", #""two""#])
    }

    @Test func extremeEventTimesDoNotTrap() throws {
        let pipeline = Pipeline(eventTime: .recordTimestamp)
            .keyBy { _ in bytes("k") }
            .window(.sliding(size: .milliseconds(10), slide: .milliseconds(3)), aggregate: .count)
            .deduplicate(ttl: .milliseconds(5))
        let input = [Int64.min, -1, 0, Int64.max - 1, Int64.max].enumerated().map { offset, time in
            record("{}", offset: Int64(offset), timestamp: time)
        }
        let emitted = try run(pipeline, input)
        #expect(deadLetters(emitted).isEmpty)
        #expect(!outputs(emitted).isEmpty)
    }
}
