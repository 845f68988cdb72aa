import KeyedState
import Testing

@testable import Operators

/// Snapshot in the middle of a stream, restore into a new processor, continue: the emissions must
/// equal an uninterrupted run's, for every operator, at every cut point tried.
@Suite struct RestoreTests {
    private static let eventTime = EventTime.field("ts", format: .epochMillis)
    private static let watermarks = Watermarks(maxOutOfOrderness: .milliseconds(20))
    private static let fields = Aggregation.fields([.count(), .sum("amount"), .min("amount"), .max("amount"), .average("amount")])

    static let pipelines: [(name: String, pipeline: Pipeline)] = [
        ("map, filter, flatMap", Pipeline()
            .map { record in
                var record = record
                record.value += bytes(" ")
                return record
            }
            .filter { $0.value.count % 2 == 0 }
            .flatMap { [$0, $0] }),
        ("select, project, explode", Pipeline()
            .project(renaming: [("pair", "k"), ("id", "id")])
            .map { record in
                var record = record
                let open: [UInt8] = Array("{\"list\":[".utf8)
                let close: [UInt8] = Array(",1]}".utf8)
                record.value = open + record.value + close
                return record
            }
            .explode("list")
            .filter(FieldPredicate("id", .exists(true)))
            .select("id")),
        ("running count, sum, min, max, average", Pipeline().keyBy(field: "k").aggregate(fields)),
        ("reduce", Pipeline().keyBy(field: "k").aggregate(.reduce { running, value in Array((running + value).suffix(40)) })),
        ("user aggregate", Pipeline().keyBy(field: "k").aggregate(.aggregate(
            initial: Int64(0), add: { total, record in total += Int64(record.value.count) }, merge: { $0 + $1 },
            result: { total, context in bytes("\(text(context.key))=\(total)") }))),
        ("tumbling window", Pipeline(eventTime: eventTime, watermarks: watermarks).keyBy(field: "k")
            .window(.tumbling(size: .milliseconds(100)), allowedLateness: .milliseconds(150), late: .deadLetter, aggregate: fields)),
        ("sliding window", Pipeline(eventTime: eventTime, watermarks: watermarks).keyBy(field: "k")
            .window(.sliding(size: .milliseconds(120), slide: .milliseconds(40)), allowedLateness: .milliseconds(50), aggregate: fields)),
        ("session window", Pipeline(eventTime: eventTime, watermarks: watermarks).keyBy(field: "k")
            .window(.session(gap: .milliseconds(30)), allowedLateness: .milliseconds(100), late: .deadLetter, aggregate: fields)),
        ("window after window", Pipeline(eventTime: eventTime, watermarks: watermarks).keyBy(field: "k")
            .window(.tumbling(size: .milliseconds(50)), aggregate: .fields([.count(as: "amount")]))
            .window(.tumbling(size: .milliseconds(200)), aggregate: .sum("amount"))),
        ("deduplicate by field", Pipeline(eventTime: eventTime, watermarks: watermarks).deduplicate(by: "id", ttl: .milliseconds(250))),
        ("deduplicate by key", Pipeline(eventTime: eventTime, watermarks: watermarks).keyBy(field: "k").deduplicate(ttl: .milliseconds(80))),
    ]

    @Test(arguments: pipelines.indices)
    func restoredRunEmitsWhatAnUninterruptedRunEmits(_ index: Int) throws {
        let (name, pipeline) = Self.pipelines[index]
        for seed in testSeeds(count: 3) {
            let input = RandomEvent.records(RandomEvent.stream(seed: seed, count: 200))
            let uninterrupted = try run(pipeline, input)
            #expect(outputs(uninterrupted).count > 5, "\(name): the stream produced too little to compare")
            for cut in [1, 37, 100, 163, 199] {
                let restored = try runWithRestore(pipeline, input, cut: cut)
                #expect(restored == uninterrupted, "\(name), seed \(seed), cut at \(cut)")
            }
        }
    }

    /// State written by a pipeline with fewer aggregates, restored into one with more: the
    /// processor stops (whatever its error policy) instead of reading past the accumulator.
    @Test func anAccumulatorOfAnotherShapeStopsThePipeline() throws {
        let before = Pipeline().keyBy(field: "k").aggregate(.fields([.count(), .sum("amount")]))
        let after = Pipeline().keyBy(field: "k").aggregate(.fields([.count(), .sum("amount"), .max("amount")]))
        var state = PartitionState()
        var first = try before.processor(topic: "t", partition: 0)
        _ = try first.process(record(#"{"k":"a","amount":2}"#), state: &state)
        var second = try after.processor(topic: "t", partition: 0)
        second.restore(from: state)
        do {
            _ = try second.process(record(#"{"k":"a","amount":3}"#, offset: 1), state: &state)
            Issue.record("processing went on with an accumulator of the wrong shape")
        } catch {
            #expect(error.offset == 1)
            #expect(error.reason.message.contains("24 bytes where this aggregation needs 32"), "\(error)")
        }
        // Another key, with no stored accumulator, still works.
        let emissions = try second.process(record(#"{"k":"b","amount":3}"#, offset: 2), state: &state)
        #expect(emissions.count == 1 && !emissions[0].isDeadLetter)
        // A longer accumulator (the pipeline lost an aggregate) is read by its leading words, as
        // before; a dry-run replay is what shows such a pipeline's outputs differ.
        var third = try before.processor(topic: "t", partition: 0)
        third.restore(from: state)
        let shorter = try third.process(record(#"{"k":"b","amount":4}"#, offset: 3), state: &state)
        #expect(shorter.count == 1 && !shorter[0].isDeadLetter)
    }

    @Test func restoreRebuildsTimersFromState() throws {
        let pipeline = Self.pipelines.first { $0.name == "session window" }!.pipeline
        var state = PartitionState()
        var first = try pipeline.processor(topic: "in", partition: 0)
        for record in RandomEvent.records(RandomEvent.stream(seed: 1, count: 50)) {
            _ = try first.process(record, state: &state)
        }
        #expect(first.pendingTimerCount > 0)
        var second = try pipeline.processor(topic: "in", partition: 0)
        second.restore(from: PartitionState(restoring: state.captureSnapshot().entries))
        #expect(second.pendingTimerCount > 0)
        #expect(second.watermark == first.watermark)
    }
}
