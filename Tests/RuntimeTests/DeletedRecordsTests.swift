import Checkpointing
import DevBroker
import Foundation
import KafkaClient
import Logging
import Operators
import Runtime
import Testing

extension ProcessorEndToEndTests {
    /// The outputs of the first `count` inputs, leaving out the inputs at the `deleted` offset
    /// ranges of their partitions (which no processor ever saw): what a processor that skipped
    /// them produces, its state lacking their effects.
    static func expected(_ count: Int, keys: Int, without deleted: [Int32: Range<Int64>]) -> [String] {
        expected(count, keys: keys) { partition, offset in deleted[partition]?.contains(offset) != true }
    }

    /// The outputs of the first `count` inputs that `keep` keeps (by partition and offset).
    static func expected(_ count: Int, keys: Int, keeping keep: (Int32, Int64) -> Bool) -> [String] {
        var totals: [String: (Int, Int)] = [:]
        var nextOffset: [Int32: Int64] = [:]
        var outputs: [String] = []
        for record in input(0..<count, keys: keys) {
            let offset = nextOffset[record.partition, default: 0]
            nextOffset[record.partition] = offset + 1
            guard keep(record.partition, offset) else { continue }
            var total = totals[record.user] ?? (0, 0)
            total.0 += 1
            total.1 += record.amount
            totals[record.user] = total
            outputs.append("\(record.user)/\(total.0)/\(total.1)")
        }
        return outputs
    }

    /// A broker whose `orders` holds 800 inputs, the first 400 processed and committed by
    /// `application` (its committed offsets by partition), with how many records each partition
    /// holds: a processor stopped while more input arrived.
    func brokerWith400CommittedAnd400More(_ application: String, keys: Int) async throws
        -> (broker: DevBroker, kafka: KafkaConfiguration, directory: String, committed: [Int32: Int64], produced: [Int32: Int64])
    {
        let (broker, kafka, directory) = try await brokerWithInput(Self.input(0..<400, keys: keys))
        let run1 = try makeProcessor(Self.shutdownOnlySettings(application, kafka: kafka, stopAfter: 400), directory: directory)
        #expect(try await failureMessage(of: run1) == nil)
        let committed = try await BlockingCalls.run { try self.committedOffsets(application, kafka: kafka) }
        #expect(committed.values.reduce(0, +) == 400)
        try await BlockingCalls.run { try self.produce(Self.input(400..<800, keys: keys), to: "orders", kafka: kafka) }
        var produced: [Int32: Int64] = [:]
        for record in Self.input(0..<800, keys: keys) { produced[record.partition, default: 0] += 1 }
        return (broker, kafka, directory, committed, produced)
    }

    /// A running processor that falls behind the log's start: retention removes records it
    /// has not fetched yet (here a DeleteRecords while it stands still at a slow checkpoint
    /// barrier, its fetch queue kept tiny). The fetch is out of range; the processor stops
    /// naming the records that are gone, and a read_committed reader sees, each once, the
    /// outputs of the inputs below the committed offsets, and nothing else.
    @Test func aRunningProcessorThatFallsBehindTheLogStartStops() async throws {
        let keys = 50
        let app = "behind-app"
        let (broker, kafka, directory) = try await brokerWithInput([])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var smallBatches = kafka
        smallBatches.properties["batch.num.messages"] = "100"
        try await BlockingCalls.run { [smallBatches] in try self.produce(Self.input(0..<80_000, keys: keys), to: "orders", kafka: smallBatches) }
        var settings = Self.quickSettings(app, instance: "0", kafka: kafka)
        settings.kafka.properties = ["queued.min.messages": "1", "queued.max.messages.kbytes": "1", "max.partition.fetch.bytes": "1"]
        settings.processingLanes = 1
        settings.slowBarrier = SlowBarrier(delay: .seconds(4))
        let processor = try makeProcessor(settings, directory: directory)
        let running = Task { try await self.failureMessage(of: processor) }
        // Once a checkpoint committed every partition (each barrier holds the lane 4 s, and at
        // most about 13,000 records are taken meanwhile): everything produced is deleted.
        let deadline = ContinuousClock.now + .seconds(30)
        var firstCommit: [Int32: Int64] = [:]
        while firstCommit.count < 4 || firstCommit.values.contains(0), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
            firstCommit = try await BlockingCalls.run { try self.committedOffsets(app, kafka: kafka) }
        }
        #expect(firstCommit.count == 4 && firstCommit.values.allSatisfy { $0 > 0 }, "\(firstCommit)")
        let deleted = try await BlockingCalls.run {
            try KafkaAdmin(configuration: kafka).deleteRecords(
                (Int32(0)..<4).map { PartitionOffset(TopicPartition("orders", $0), offset: KafkaAdmin.upToHighWatermark) }, timeout: .seconds(10))
        }
        let message = try await messageWhenItStops(processor, running)
        let committed = try await BlockingCalls.run { try self.committedOffsets(app, kafka: kafka) }
        let named = committed.contains { partition, offset in
            let end = deleted[TopicPartition("orders", partition)]!
            return (offset..<end).contains { message.hasPrefix("orders-\(partition): the records at offsets \($0)..<\(end) are no longer in the log") }
        }
        #expect(named, "the stop names a partition's records from at or past its committed offset up to the log's new start: \(message)")
        #expect(message.contains("`source.on_deleted_records: skip`"), "\(message)")
        for (partition, offset) in committed {
            #expect(offset < deleted[TopicPartition("orders", partition)]!, "partition \(partition) was not read to its end before the deletion")
        }
        try await expectCommitted(Self.expected(80_000, keys: keys) { partition, offset in offset < (committed[partition] ?? 0) }, kafka: kafka)
        await broker.stop()
    }

    /// Retention (here a DeleteRecords) removes records a stopped processor had not processed
    /// yet. Under `auto.offset.reset` `earliest` the restart went on from the oldest record left
    /// without a word. Now it stops by default, naming the records that are gone, and what
    /// Kafka committed stays as it was; with `source.on_deleted_records: skip` it goes on from
    /// there, and a read_committed reader sees the outputs of every record still in the log
    /// once, computed without the deleted ones, and nothing else.
    @Test func recordsDeletedBeforeTheyWereProcessedStopTheRestartUnlessSkippingIsAllowed() async throws {
        let keys = 50
        let app = "deleted-app"
        let (broker, kafka, directory, committed, produced) = try await brokerWith400CommittedAnd400More(app, keys: keys)
        defer { try? FileManager.default.removeItem(atPath: directory) }

        // In each partition the first half of the 400 new records is deleted unprocessed, in
        // partition 0 all of them (nothing follows the log's start there).
        let deleted = Dictionary(uniqueKeysWithValues: (Int32(0)..<4).map { partition in
            let start = committed[partition]!
            return (partition, start..<(partition == 0 ? produced[partition]! : start + (produced[partition]! - start) / 2))
        })
        let lowWatermarks = try await BlockingCalls.run {
            try KafkaAdmin(configuration: kafka).deleteRecords(
                deleted.map { PartitionOffset(TopicPartition("orders", $0.key), offset: $0.value.upperBound) }, timeout: .seconds(10))
        }
        #expect(lowWatermarks == Dictionary(uniqueKeysWithValues: deleted.map { (TopicPartition("orders", $0.key), $0.value.upperBound) }))

        // The default: stop, saying which records are gone.
        let run2 = try makeProcessor(Self.quickSettings(app, instance: "0", kafka: kafka), directory: directory)
        let running2 = Task { try await self.failureMessage(of: run2) }
        let message = try await messageWhenItStops(run2, running2)
        let gone = deleted.sorted { $0.key < $1.key }.map { "orders-\($0.key): the records at offsets \($0.value.lowerBound)..<\($0.value.upperBound) are no longer in the log" }
        #expect(gone.contains { message.hasPrefix($0) }, "\(message)")
        #expect(message.contains("`source.on_deleted_records: skip`"), "\(message)")
        try await expectCommitted(Self.expected(400, keys: keys), kafka: kafka)
        let afterStop = try await BlockingCalls.run { try self.committedOffsets(app, kafka: kafka) }
        #expect(afterStop == committed, "the stop committed nothing")

        // Skipping allowed: the rest, without the deleted records' effects.
        var settings = Self.quickSettings(app, instance: "0", kafka: kafka)
        settings.deletedRecords = .skip
        let run3 = try makeProcessor(settings, directory: directory)
        let running3 = Task { try await BlockingCalls.run { try run3.run(); return run3.statistics } }
        let expected = Self.expected(800, keys: keys, without: deleted)
        try await awaitCommitted(expected.count, kafka: kafka)
        run3.requestShutdown()
        _ = try await running3.value
        try await expectCommitted(expected, kafka: kafka)
        // Past the deleted records, partition 0's too: a restart does not meet them again.
        let afterSkip = try await BlockingCalls.run { try self.committedOffsets(app, kafka: kafka) }
        #expect(afterSkip == produced, "committed offsets: \(afterSkip), produced: \(produced)")
        await broker.stop()
    }
}
