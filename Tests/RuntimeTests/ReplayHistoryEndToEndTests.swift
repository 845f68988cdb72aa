import Checkpointing
import ExactlyTesting
import Foundation
import KafkaClient
import Logging
import Operators
import Runtime
import Testing

extension ProcessorEndToEndTests {
    /// A replay forks the partitions' history at the checkpoint it starts from, and the runs
    /// that go on from it keep to that history: when the checkpoints Kafka names are lost (the
    /// replay's own too), the fallback restores the checkpoint the replay started from, and
    /// replays muted up to the committed offsets, not the checkpoint of the history the replay
    /// left, though that one holds a higher offset (its state is what the replay redid). A
    /// read_committed reader of the replay's topic sees each output once.
    @Test func aRecoveryAfterAReplayWhoseCheckpointsAreLostRestoresTheCheckpointItStartedFrom() async throws {
        let keys = 20
        let app = "history-app"
        let (broker, kafka, directory) = try await brokerWithInput(Self.input(0..<200, keys: keys))
        defer { try? FileManager.default.removeItem(atPath: directory) }
        func settings(stopAfter: Int) -> ProcessorSettings {
            var settings = Self.shutdownOnlySettings(app, kafka: kafka, stopAfter: stopAfter)
            settings.retainedCheckpoints = 20  // every checkpoint stays a candidate
            settings.sinkTopic = "replayed"
            return settings
        }
        try await BlockingCalls.run { try KafkaAdmin(configuration: kafka).createTopic("replayed", partitions: 4) }
        func committed() async throws -> [TopicPartition: PartitionOffset] {
            try await BlockingCalls.run { try self.committedWithMetadata(app, kafka: kafka) }
        }
        func named(_ offsets: [TopicPartition: PartitionOffset]) -> Set<CheckpointID> {
            Set(offsets.values.compactMap { if case .checkpoint(let id) = OffsetMetadata.decode($0.metadata) { id } else { nil } })
        }
        func removeManifest(_ id: CheckpointID) throws {
            try FileManager.default.removeItem(atPath: "\(directory)/\(app)/manifests/\(id).json")
        }

        // C commits the first 200 inputs; the run the replay will redo commits 200 more (E), into `totals`.
        var first = settings(stopAfter: 200)
        first.sinkTopic = "totals"
        #expect(try await failureMessage(of: try makeProcessor(first, directory: directory)) == nil)
        let atCheckpoint = try await committed()
        let checkpoint = try #require(named(atCheckpoint).first)
        try await BlockingCalls.run { try self.produce(Self.input(200..<400, keys: keys), to: "orders", kafka: kafka) }
        var second = settings(stopAfter: 200)
        second.sinkTopic = "totals"
        #expect(try await failureMessage(of: try makeProcessor(second, directory: directory)) == nil)
        let abandoned = try #require(named(try await committed()).first)

        // The replay of C into `replayed` (R), then the application goes on from it (N1).
        var replaying = settings(stopAfter: 200)
        replaying.replayFrom = checkpoint
        replaying.replayCheckedOffsets = try await committed()
        replaying.replayPartitions = Set(atCheckpoint.keys)
        #expect(try await failureMessage(of: try makeProcessor(replaying, directory: directory)) == nil)
        let afterReplay = try await committed()
        let replayed = try #require(named(afterReplay).first)
        for (partition, offset) in afterReplay {
            let fork = ReplayFork(replayOf: checkpoint.description, at: atCheckpoint[partition]!.offset, sink: "replayed")
            #expect(OffsetMetadata.forks(in: offset.metadata) == [fork], "\(partition): \(offset.metadata)")
        }
        // The replay started again with R's manifest gone: whether the replay committed the
        // partitions (resume) or not (replay) cannot be told, and replaying them again would
        // write their outputs twice. It stops, committing nothing.
        let manifest = "\(directory)/\(app)/manifests/\(replayed).json"
        try FileManager.default.moveItem(atPath: manifest, toPath: manifest + ".aside")
        replaying.replayCheckedOffsets = afterReplay
        let again = try makeProcessor(replaying, directory: directory)
        let message = try await messageWhenItStops(again, Task { try await self.failureMessage(of: again) })
        #expect(message.contains("cannot be told, and replaying it again could write its outputs twice"), "\(message)")
        #expect(try await committed() == afterReplay, "the stopped replay committed nothing")
        try FileManager.default.moveItem(atPath: manifest + ".aside", toPath: manifest)

        try await BlockingCalls.run { try self.produce(Self.input(400..<500, keys: keys), to: "orders", kafka: kafka) }
        #expect(try await failureMessage(of: try makeProcessor(settings(stopAfter: 100), directory: directory)) == nil)
        let goneOn = try await committed()
        #expect(goneOn.allSatisfy { OffsetMetadata.forks(in: $0.value.metadata) == OffsetMetadata.forks(in: afterReplay[$0.key]!.metadata) })
        // N1 is lost, and R with it.
        try removeManifest(try #require(named(goneOn).first))
        try removeManifest(replayed)

        try await BlockingCalls.run { try self.produce(Self.input(500..<550, keys: keys), to: "orders", kafka: kafka) }
        let log = CapturingLogHandler()
        let store = try CheckpointStore(configuration: CheckpointStoreConfiguration(directory: directory, application: app, instance: "\(app)-0"))
        var recoveringSettings = settings(stopAfter: 0)
        recoveringSettings.stopAfterRecords = nil
        recoveringSettings.checkpoint = CheckpointSettings(interval: .milliseconds(200), timeout: .seconds(10))
        let recovering = try Processor(
            settings: recoveringSettings, pipeline: try Pipeline(yaml: Self.pipelineYAML), store: store, logger: Logger(label: "test") { _ in log })
        let running = Task { try await self.failureMessage(of: recovering) }
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline, try await committed().values.reduce(0, { $0 + $1.offset }) < 550 {
            try await Task.sleep(for: .milliseconds(200))
        }
        recovering.requestShutdown()
        #expect(try await running.value == nil)
        let fallbacks = log.messages(at: .warning).filter { $0.contains("replaying offsets") }
        #expect(fallbacks.count == 4 && fallbacks.allSatisfy { $0.contains("restored checkpoint \(checkpoint) ") }, "\(fallbacks)")
        #expect(!fallbacks.contains { $0.contains("\(abandoned)") }, "checkpoint \(abandoned) is of the history the replay left")
        let expected = Self.outputs(of: 550, keys: keys, from: atCheckpoint)
        let outputs = try await BlockingCalls.run { try self.readCommitted("replayed", count: expected.count, kafka: kafka, patience: .seconds(30)) }
        #expect(outputs.sorted() == expected.sorted(), "each output of the replay's topic once, and nothing else")
        await broker.stop()
    }
}
