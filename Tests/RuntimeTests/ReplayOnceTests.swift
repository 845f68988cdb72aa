import Checkpointing
import Foundation
import KafkaClient
import KeyedState
import Logging
import Operators
import Runtime
import Testing

extension ProcessorEndToEndTests {
    /// What the group of `application` holds committed for `orders`, with the metadata.
    func committedWithMetadata(_ application: String, kafka: KafkaConfiguration) throws -> [TopicPartition: PartitionOffset] {
        let consumer = try KafkaConsumer(configuration: ConsumerConfiguration(kafka: kafka, groupID: application))
        defer { try? consumer.close() }
        return try consumer.committed((0..<4).map { TopicPartition("orders", $0) })
    }

    /// The outputs of the first `count` inputs of an uninterrupted run whose input sits at or
    /// past `from`'s offset of its partition: what a replay from a checkpoint at `from` writes.
    static func outputs(of count: Int, keys: Int, from: [TopicPartition: PartitionOffset]) -> [String] {
        let all = expected(count, keys: keys)
        var nextOffset: [Int32: Int64] = [:]
        return zip(input(0..<count, keys: keys), all).compactMap { record, output in
            let offset = nextOffset[record.partition, default: 0]
            nextOffset[record.partition] = offset + 1
            return offset >= from[TopicPartition("orders", record.partition)]!.offset ? output : nil
        }
    }

    /// A replay into a new topic, confirmed, and then the same replay started again (a restart
    /// with the same arguments, or a second instance given them): the partitions the replay
    /// committed are recovered as usual, not replayed again, and a `read_committed` reader of
    /// the new topic sees the outputs of the replayed inputs and of the inputs after them, each
    /// once. The process used to remember what it replayed, and replayed every partition again
    /// in each new process (duplicates). The same checkpoint replayed into a third topic is
    /// another replay, done in full. Then a run without the replay commits past what the
    /// replay's checks read: the replay started with those checks stops, naming the partition,
    /// and commits nothing.
    @Test func aReplayIsDoneOnceAcrossRestartsAndStopsWhenOffsetsMovedSinceItsChecks() async throws {
        let keys = 20
        let app = "replay-once-app"
        let (broker, kafka, directory) = try await brokerWithInput(Self.input(0..<200, keys: keys))
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Every run keeps the checkpoint to replay from (a run without the replay would delete
        // it, and a replay from it would then be refused before it starts).
        func settings(stopAfter: Int) -> ProcessorSettings {
            var settings = Self.shutdownOnlySettings(app, kafka: kafka, stopAfter: stopAfter)
            settings.retainedCheckpoints = 20
            return settings
        }
        try await BlockingCalls.run {
            let admin = try KafkaAdmin(configuration: kafka)
            try admin.createTopic("replayed", partitions: 4)
            try admin.createTopic("replayed-again", partitions: 4)
        }

        // The checkpoint to replay from commits the first 200 inputs; a second run commits 200 more.
        let run1 = try makeProcessor(settings(stopAfter: 200), directory: directory)
        #expect(try await failureMessage(of: run1) == nil)
        let atCheckpoint = try await BlockingCalls.run { try self.committedWithMetadata(app, kafka: kafka) }
        #expect(atCheckpoint.values.reduce(0) { $0 + $1.offset } == 200)
        guard case .checkpoint(let checkpoint) = OffsetMetadata.decode(atCheckpoint.values.first?.metadata ?? "") else {
            Issue.record("the first run's offsets name no checkpoint: \(atCheckpoint)")
            return
        }
        try await BlockingCalls.run { try self.produce(Self.input(200..<400, keys: keys), to: "orders", kafka: kafka) }
        let run2 = try makeProcessor(settings(stopAfter: 200), directory: directory)
        #expect(try await failureMessage(of: run2) == nil)
        let checked = try await BlockingCalls.run { try self.committedWithMetadata(app, kafka: kafka) }
        #expect(checked.values.reduce(0) { $0 + $1.offset } == 400)

        // The replay, into a new topic (the command line's checks passed, its overlap confirmed).
        var replaying = settings(stopAfter: 200)
        replaying.sinkTopic = "replayed"
        replaying.replayFrom = checkpoint
        replaying.replayCheckedOffsets = checked
        replaying.replayPartitions = Set(atCheckpoint.keys)
        let replay1 = try makeProcessor(replaying, directory: directory)
        #expect(try await failureMessage(of: replay1) == nil)

        // Started again with the same arguments, 100 inputs later (its checks read the offsets
        // afresh, as the command line's do): it reads only those.
        try await BlockingCalls.run { try self.produce(Self.input(400..<500, keys: keys), to: "orders", kafka: kafka) }
        replaying.stopAfterRecords = 100
        replaying.replayCheckedOffsets = try await BlockingCalls.run { try self.committedWithMetadata(app, kafka: kafka) }
        let replay2 = try makeProcessor(replaying, directory: directory)
        #expect(try await failureMessage(of: replay2) == nil)
        let expected = Self.outputs(of: 500, keys: keys, from: atCheckpoint)
        let replayed = try await BlockingCalls.run { try self.readCommitted("replayed", count: expected.count, kafka: kafka, patience: .seconds(30)) }
        #expect(replayed.count == expected.count, "the replayed inputs' outputs and those after them, each once, and nothing else")
        #expect(replayed.sorted() == expected.sorted())

        // The same checkpoint replayed into another topic is another replay: it replays every
        // partition again, though the offsets are of the first replay's checkpoints.
        var again = replaying
        again.sinkTopic = "replayed-again"
        again.stopAfterRecords = 300
        again.replayCheckedOffsets = try await BlockingCalls.run { try self.committedWithMetadata(app, kafka: kafka) }
        #expect(try await failureMessage(of: try makeProcessor(again, directory: directory)) == nil)
        let replayedAgain = try await BlockingCalls.run { try self.readCommitted("replayed-again", count: expected.count, kafka: kafka, patience: .seconds(30)) }
        #expect(replayedAgain.count == expected.count && replayedAgain.sorted() == expected.sorted(), "the second replay's outputs, each once: \(replayedAgain.count) for \(expected.count)")

        // A run without the replay commits past the checks; the replay with those checks stops.
        replaying.replayCheckedOffsets = try await BlockingCalls.run { try self.committedWithMetadata(app, kafka: kafka) }
        try await BlockingCalls.run { try self.produce(Self.input(500..<550, keys: keys), to: "orders", kafka: kafka) }
        var plain = settings(stopAfter: 50)
        plain.sinkTopic = "replayed"
        #expect(try await failureMessage(of: try makeProcessor(plain, directory: directory)) == nil)
        let beforeStaleReplay = try await BlockingCalls.run { try self.committedWithMetadata(app, kafka: kafka) }
        let replay3 = try makeProcessor(replaying, directory: directory)
        let message = try await messageWhenItStops(replay3, Task { try await self.failureMessage(of: replay3) })
        #expect(message.contains("its committed offset moved since the replay of checkpoint \(checkpoint) into `replayed` was checked"), "\(message)")
        let afterStaleReplay = try await BlockingCalls.run { try self.committedWithMetadata(app, kafka: kafka) }
        #expect(afterStaleReplay == beforeStaleReplay, "the stopped replay committed nothing")
        let all = Self.outputs(of: 550, keys: keys, from: atCheckpoint)
        let final = try await BlockingCalls.run { try self.readCommitted("replayed", count: all.count, kafka: kafka, patience: .seconds(30)) }
        #expect(final.sorted() == all.sorted(), "each output once, and nothing else")
        await broker.stop()
    }
}

extension ProcessorEndToEndTests {
    /// `--dry-run`'s comparison covers what a reader sees of an output, not its value alone: a
    /// pipeline that keys its outputs by another field writes the same values under other keys
    /// (other partitions, other compaction), and its dry run reports a difference. The same
    /// pipeline's dry run matches.
    @Test func aDryRunWhoseOutputsChangeOnlyTheirKeysDiffers() async throws {
        let app = "dry-run-keys-app"
        let (broker, kafka, directory) = try await brokerWithInput(Self.input(0..<200, keys: 20))
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let byUser = try Pipeline(yaml: "operators:\n  - key_by: user\n")
        let store = try CheckpointStore(configuration: CheckpointStoreConfiguration(directory: directory, application: app, instance: "0"))
        let run = try Processor(settings: Self.shutdownOnlySettings(app, kafka: kafka, stopAfter: 200), pipeline: byUser, store: store, logger: Logger(label: "test"))
        #expect(try await failureMessage(of: run) == nil)
        let committed = try await BlockingCalls.run { try self.committedWithMetadata(app, kafka: kafka) }
        #expect(committed.values.reduce(0) { $0 + $1.offset } == 200)

        // A replay of every input from an empty state at offset 0.
        func audit(_ pipeline: Pipeline) async throws -> [ReplayAuditEntry] {
            let restored = Dictionary(uniqueKeysWithValues: committed.keys.map { ($0, (state: PartitionState(), offset: Int64(0))) })
            return try await BlockingCalls.run {
                try ReplayAudit.run(
                    kafka: kafka, application: app, pipeline: pipeline, sourceTopics: ["orders"], sinkTopic: "totals",
                    checkpoint: CheckpointID(instance: "0", sequence: 1), restored: restored, committed: committed, logger: Logger(label: "test"))
            }
        }
        let same = try await audit(byUser)
        #expect(same.count == 4 && same.allSatisfy { $0.isComparable && !$0.differs }, "\(same)")
        let byAmount = try await audit(try Pipeline(yaml: "operators:\n  - key_by: amount\n"))
        #expect(byAmount.count == 4 && byAmount.allSatisfy(\.differs), "the same values under other keys must differ: \(byAmount)")
        await broker.stop()
    }
}
