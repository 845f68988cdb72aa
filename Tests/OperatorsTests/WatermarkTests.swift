import KeyedState
import Testing

@testable import Operators

@Suite struct WatermarkTests {
    private let windowed = Pipeline(
        eventTime: .field("ts", format: .epochMillis),
        watermarks: Watermarks(maxOutOfOrderness: .milliseconds(10), mode: .aligned(idleTimeout: .seconds(1))))
        .keyBy(field: "k")
        .window(.tumbling(size: .milliseconds(100)), aggregate: .count)

    @Test func localWatermarkIsLargestEventTimeMinusTheBound() throws {
        var processor = try windowed.processor(topic: "in", partition: 0)
        var state = PartitionState()
        #expect(processor.localWatermark == nil)
        _ = try processor.process(record(#"{"k":"a","ts":50}"#), state: &state)
        _ = try processor.process(record(#"{"k":"a","ts":30}"#), state: &state)
        #expect(processor.localWatermark == 40)
    }

    @Test func alignedModeFiresOnlyWhenTheRuntimeAdvancesTheWatermark() throws {
        var processor = try windowed.processor(topic: "in", partition: 0)
        var state = PartitionState()
        #expect(try processor.process(record(#"{"k":"a","ts":50}"#), state: &state).isEmpty)
        #expect(try processor.process(record(#"{"k":"a","ts":500}"#), state: &state).isEmpty)
        var emissions: [Emission] = []
        try processor.advanceWatermark(to: 99, state: &state, into: &emissions)
        #expect(emissions.isEmpty)
        try processor.advanceWatermark(to: 100, state: &state, into: &emissions)
        #expect(outputs(emissions) == [#"{"key":"a","window_start":0,"window_end":100,"count":1}"#])
        #expect(emissions.first?.record.timestamp == 99)
        try processor.advanceWatermark(to: 50, state: &state, into: &emissions)
        #expect(emissions.count == 1)
        #expect(processor.watermark == 100)
    }

    @Test func alignedWatermarkIsTheMinimumOverActivePartitions() {
        var aligner = WatermarkAligner(idleTimeout: .milliseconds(1000))
        let p0 = WatermarkAligner.Partition(topic: "t", partition: 0)
        let p1 = WatermarkAligner.Partition(topic: "t", partition: 1)
        aligner.partitionAssigned(p0, now: 0)
        aligner.partitionAssigned(p1, now: 0)
        aligner.recordProcessed(by: p0, watermark: 500, now: 10)
        #expect(aligner.watermark(now: 10) == nil)  // p1 has no watermark yet and is not idle
        aligner.recordProcessed(by: p1, watermark: 200, now: 20)
        #expect(aligner.watermark(now: 20) == 200)
        aligner.recordProcessed(by: p0, watermark: 900, now: 800)
        #expect(aligner.watermark(now: 900) == 200)
    }

    @Test func idlePartitionStopsHoldingTheWatermarkBackAfterTheTimeout() {
        var aligner = WatermarkAligner(idleTimeout: .milliseconds(1000))
        let busy = WatermarkAligner.Partition(topic: "t", partition: 0)
        let idle = WatermarkAligner.Partition(topic: "t", partition: 1)
        aligner.recordProcessed(by: idle, watermark: 100, now: 0)
        aligner.recordProcessed(by: busy, watermark: 700, now: 0)
        aligner.recordProcessed(by: busy, watermark: 900, now: 999)
        #expect(aligner.watermark(now: 999) == 100)
        aligner.recordProcessed(by: busy, watermark: 950, now: 1000)
        #expect(aligner.watermark(now: 1000) == 950)
        // The idle partition wakes up behind: the watermark never goes back.
        aligner.recordProcessed(by: idle, watermark: 300, now: 1001)
        #expect(aligner.watermark(now: 1001) == 950)
        aligner.partitionRevoked(busy)
        aligner.partitionRevoked(idle)
        #expect(aligner.watermark(now: 5000) == 950)
    }

    @Test func perPartitionWatermarkSurvivesARestore() throws {
        let pipeline = Pipeline(eventTime: .field("ts", format: .epochMillis))
            .keyBy(field: "k")
            .window(.tumbling(size: .milliseconds(100)), late: .deadLetter, aggregate: .count)
        var state = PartitionState()
        _ = try run(pipeline, records([#"{"k":"a","ts":250}"#]), state: &state)
        var restored = try pipeline.processor(topic: "in", partition: 0)
        restored.restore(from: state)
        #expect(restored.watermark == 250)
        let emitted = try restored.process(record(#"{"k":"a","ts":150}"#), state: &state)
        #expect(deadLetters(emitted).count == 1)
    }
}

@Suite struct AlignedWatermarkPipelineTests {
    /// Two partitions in aligned mode: windows fire at the slower partition's pace until it goes
    /// idle, then at the faster one's.
    @Test func windowsFollowTheSlowestActivePartitionUntilItIsIdle() throws {
        let pipeline = Pipeline(
            eventTime: .field("ts", format: .epochMillis),
            watermarks: Watermarks(mode: .aligned(idleTimeout: .milliseconds(100))))
            .keyBy(field: "k")
            .window(.tumbling(size: .milliseconds(10)), aggregate: .count)
        var processors = [try pipeline.processor(topic: "t", partition: 0), try pipeline.processor(topic: "t", partition: 1)]
        var states = [PartitionState(), PartitionState()]
        var aligner = WatermarkAligner(idleTimeout: .milliseconds(100))
        var fired: [[String]] = [[], []]

        func feed(_ partition: Int, _ json: String, now: Int64) throws {
            var emissions = try processors[partition].process(record(json), state: &states[partition])
            aligner.recordProcessed(
                by: .init(topic: "t", partition: Int32(partition)), watermark: processors[partition].localWatermark, now: now)
            try tick(now: now, emissions: &emissions, for: partition)
        }
        func tick(now: Int64, emissions: inout [Emission], for partition: Int? = nil) throws {
            if let partition { fired[partition] += outputs(emissions) }
            guard let watermark = aligner.watermark(now: now) else { return }
            for index in processors.indices {
                var out: [Emission] = []
                try processors[index].advanceWatermark(to: watermark, state: &states[index], into: &out)
                fired[index] += outputs(out)
            }
        }

        try feed(0, #"{"k":"a","ts":5}"#, now: 0)
        try feed(1, #"{"k":"b","ts":3}"#, now: 1)
        try feed(0, #"{"k":"a","ts":25}"#, now: 2)   // partition 1 still at 3: nothing fires
        #expect(fired == [[], []])
        try feed(1, #"{"k":"b","ts":12}"#, now: 3)   // minimum is 12: both [0,10) windows fire
        #expect(fired == [[#"{"key":"a","window_start":0,"window_end":10,"count":1}"#],
                          [#"{"key":"b","window_start":0,"window_end":10,"count":1}"#]])
        try feed(0, #"{"k":"a","ts":31}"#, now: 100)  // partition 1 active until now 103: minimum still 12
        #expect(fired[0].count == 1)
        var none: [Emission] = []
        try tick(now: 103, emissions: &none)          // partition 1 idle: the watermark is partition 0's, 31
        #expect(fired[0] == [#"{"key":"a","window_start":0,"window_end":10,"count":1}"#,
                             #"{"key":"a","window_start":20,"window_end":30,"count":1}"#])
        #expect(processors[1].watermark == 31)
        try tick(now: 500, emissions: &none)          // everyone idle: the watermark stays
        #expect(processors[0].watermark == 31)
    }
}
