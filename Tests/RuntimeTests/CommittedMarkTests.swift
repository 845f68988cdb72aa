import Checkpointing
import Foundation
import KafkaClient
import Runtime
import Testing

extension ProcessorEndToEndTests {
    /// A process killed between a checkpoint's commit and its mark in the store leaves the
    /// checkpoint unmarked, though Kafka's offsets name it. The marks are what later decisions
    /// read once Kafka's offsets no longer say it: with the group's offsets lost, a partition
    /// with a marked checkpoint is refused, one without is started afresh (its outputs written
    /// again); a replay's command learns from a marked checkpoint of the replay that the replay
    /// is over for a partition. So the next process, which restores the checkpoint Kafka
    /// names, marks it.
    @Test func aCommittedCheckpointLeftUnmarkedIsMarkedByTheProcessThatRestoresIt() async throws {
        let keys = 20
        let app = "unmarked-app"
        let (broker, kafka, directory) = try await brokerWithInput(Self.input(0..<200, keys: keys))
        defer { try? FileManager.default.removeItem(atPath: directory) }
        func settings(stopAfter: Int) -> ProcessorSettings {
            var settings = Self.shutdownOnlySettings(app, kafka: kafka, stopAfter: stopAfter)
            settings.retainedCheckpoints = 20  // the first run's checkpoint stays
            return settings
        }
        let run1 = try makeProcessor(settings(stopAfter: 200), directory: directory)
        #expect(try await failureMessage(of: run1) == nil)
        let committed = try await BlockingCalls.run { try self.committedWithMetadata(app, kafka: kafka) }
        guard case .checkpoint(let named) = OffsetMetadata.decode(committed.values.first?.metadata ?? "") else {
            Issue.record("the first run's offsets name no checkpoint: \(committed)")
            return
        }
        // The kill between the commit and the mark.
        let store = try CheckpointStore(configuration: CheckpointStoreConfiguration(directory: directory, application: app, instance: "\(app)-0"))
        try FileManager.default.removeItem(atPath: "\(directory)/\(app)/committed/\(named)")
        try #require(!store.committedCheckpointIDs().contains(named.description))

        try await BlockingCalls.run { try self.produce(Self.input(200..<300, keys: keys), to: "orders", kafka: kafka) }
        let run2 = try makeProcessor(settings(stopAfter: 100), directory: directory)
        #expect(try await failureMessage(of: run2) == nil)

        #expect(store.committedCheckpointIDs().contains(named.description), "checkpoint \(named), restored as Kafka's offsets name it, is marked committed")
        let outputs = try await BlockingCalls.run { try self.readCommitted("totals", count: 300, kafka: kafka) }
        #expect(outputs.sorted() == Self.expected(300, keys: keys).sorted())
        _ = broker
    }
}
