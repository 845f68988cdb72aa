import Checkpointing
import DevBroker
import Foundation
import KafkaClient
import Logging
import Operators
import Runtime
import Testing

extension ProcessorEndToEndTests {
    /// Settings whose only checkpoints are the ones forced at shutdown (interval 60 s).
    static func shutdownOnlySettings(_ application: String, kafka: KafkaConfiguration, stopAfter: Int) -> ProcessorSettings {
        ProcessorSettings(
            kafka: kafka, application: application, instance: "0",
            sourceTopics: ["orders"], sinkTopic: "totals",
            checkpoint: CheckpointSettings(interval: .seconds(60), timeout: .seconds(20)),
            transactionTimeout: .seconds(120),
            stopAfterRecords: stopAfter
        )
    }

    func committedOffsets(_ group: String, kafka: KafkaConfiguration) throws -> [Int32: Int64] {
        let consumer = try KafkaConsumer(configuration: ConsumerConfiguration(kafka: kafka, groupID: group))
        defer { try? consumer.close() }
        let read = try consumer.committed((0..<4).map { TopicPartition("orders", $0) })
        return Dictionary(uniqueKeysWithValues: read.map { ($0.key.partition, $0.value.offset) })
    }

    /// The checkpoint Kafka names goes missing: recovery falls back to an older one and
    /// replays with the sink muted up to the committed offset. A checkpoint during that replay
    /// (here the shutdown's) must not commit the replay's position: the committed offset would
    /// go back, and the next start would restore there with nothing muted and produce the rest
    /// of the range again (found by a review on 2026-11-26: 41,824 outputs for 40,400 inputs).
    @Test func aCheckpointDuringAMutedReplayDoesNotCommitAnOffsetBehindTheMutedRange() async throws {
        let keys = 50
        let app = "muted-app"
        let (broker, kafka, directory) = try await brokerWithInput(Self.input(0..<400, keys: keys))
        defer { try? FileManager.default.removeItem(atPath: directory) }

        // Run 1: checkpoint k1 at ~100 per partition.
        let run1 = try makeProcessor(Self.shutdownOnlySettings(app, kafka: kafka, stopAfter: 400), directory: directory)
        #expect(try await failureMessage(of: run1) == nil)
        // Run 2: 40,000 more, one checkpoint k2 at the end (C).
        try await BlockingCalls.run { try self.produce(Self.input(400..<40400, keys: keys), to: "orders", kafka: kafka) }
        let run2 = try makeProcessor(Self.shutdownOnlySettings(app, kafka: kafka, stopAfter: 40000), directory: directory)
        #expect(try await failureMessage(of: run2) == nil)
        let afterRun2 = try await BlockingCalls.run { try self.committedOffsets(app, kafka: kafka) }
        #expect(afterRun2.values.reduce(0, +) == 40400)

        // k2's manifest is lost: recovery falls back to k1 and replays muted up to C.
        let manifests = directory + "/" + app + "/manifests"
        let newest = try FileManager.default.contentsOfDirectory(atPath: manifests).filter { $0.hasSuffix(".json") }.sorted {
            let a = try! FileManager.default.attributesOfItem(atPath: manifests + "/" + $0)[.modificationDate] as! Date
            let b = try! FileManager.default.attributesOfItem(atPath: manifests + "/" + $1)[.modificationDate] as! Date
            return a > b
        }.first!
        try FileManager.default.removeItem(atPath: manifests + "/" + newest)

        // Run 3: stops right after its first poll (a SIGTERM in the middle of the muted replay);
        // its checkpoint holds the partitions' state, but Kafka keeps the offsets it had.
        let run3 = try makeProcessor(Self.shutdownOnlySettings(app, kafka: kafka, stopAfter: 1), directory: directory)
        #expect(try await failureMessage(of: run3) == nil)
        let afterRun3 = try await BlockingCalls.run { try self.committedOffsets(app, kafka: kafka) }
        for partition in Int32(0)..<4 {
            #expect((afterRun3[partition] ?? 0) >= afterRun2[partition]!, "partition \(partition): committed offset went back from \(afterRun2[partition]!) to \(afterRun3[partition] ?? -1)")
        }

        // Run 4 falls back again (to run 3's checkpoint, the newest at or before the committed
        // offsets) and finishes; read_committed must see each output once.
        let run4 = try makeProcessor(Self.quickSettings(app, instance: "0", kafka: kafka), directory: directory)
        let running = Task { try await BlockingCalls.run { try run4.run(); return run4.statistics } }
        try await awaitCommitted(40400, kafka: kafka)
        try await Task.sleep(for: .seconds(2))
        run4.requestShutdown()
        _ = try await running.value
        try await expectCommitted(Self.expected(40400, keys: keys), kafka: kafka)
        await broker.stop()
    }
}
