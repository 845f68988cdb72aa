import Checkpointing
import Foundation
import KafkaClient
import KeyedState
import Logging
import Operators
import Runtime
import Testing

extension ProcessorEndToEndTests {
    /// Runs of a processor keying the inputs by user, each until `count` more inputs, into one
    /// store: what the dry runs below compare with.
    func runsKeyedByUser(_ app: String, kafka: KafkaConfiguration, directory: String) throws -> (_ count: Int) async throws -> Void {
        let byUser = try Pipeline(yaml: "operators:\n  - key_by: user\n")
        let store = try CheckpointStore(configuration: CheckpointStoreConfiguration(directory: directory, application: app, instance: "0"))
        return { count in
            let run = try Processor(settings: Self.shutdownOnlySettings(app, kafka: kafka, stopAfter: count), pipeline: byUser, store: store, logger: Logger(label: "test"))
            #expect(try await self.failureMessage(of: run) == nil)
        }
    }

    /// A dry run of `pipeline` over `sinkTopic`, every partition of `orders` replayed from an
    /// empty state at `from` (the pipelines here keep no state), against `committed`.
    func dryRun(
        _ pipeline: Pipeline, app: String, from: Int64, committed: [TopicPartition: PartitionOffset], kafka: KafkaConfiguration,
        sourceTopics: [String] = ["orders"], sinkTopic: String = "totals", deadLetterTopic: String? = nil
    ) async throws -> [ReplayAuditEntry] {
        let restored = Dictionary(uniqueKeysWithValues: committed.keys.map { ($0, (state: PartitionState(), offset: from)) })
        return try await BlockingCalls.run {
            try ReplayAudit.run(
                kafka: kafka, application: app, pipeline: pipeline, sourceTopics: sourceTopics, sinkTopic: sinkTopic, deadLetterTopic: deadLetterTopic,
                checkpoint: CheckpointID(instance: "0", sequence: 1), restored: restored, committed: committed, logger: Logger(label: "test"))
        }
    }

    /// The sink no longer holds its oldest outputs (a DeleteRecords, as a retention shorter than
    /// the input's would): an identical replay of the inputs whose outputs went with them is
    /// reported as not comparable (exit 4), naming the trimmed sink, not as a difference
    /// ("replayed but not committed"), as it was. A replay of later inputs, whose outputs every
    /// trimmed sink partition still holds (it holds older outputs of the same input partition),
    /// still matches; and a real difference is still reported as one.
    @Test func aDryRunOverASinkThatNoLongerHoldsAllItsOutputsDoesNotCallThemDifferent() async throws {
        let app = "dry-run-trimmed-app"
        // 100 keys: each input partition's outputs reach every sink partition. Three runs, of
        // offsets 0..<25, 25..<50 and 50..<100 of each input partition.
        let (broker, kafka, directory) = try await brokerWithInput(Self.input(0..<100, keys: 100))
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let byUser = try Pipeline(yaml: "operators:\n  - key_by: user\n")
        let run = try runsKeyedByUser(app, kafka: kafka, directory: directory)
        try await run(100)
        let firstRunsEnds = try await BlockingCalls.run {
            let consumer = try KafkaConsumer(configuration: ConsumerConfiguration(kafka: kafka, groupID: "ends"))
            defer { try? consumer.close() }
            return try (Int32(0)..<4).map { PartitionOffset(TopicPartition("totals", $0), offset: try consumer.watermarkOffsets(TopicPartition("totals", $0)).high) }
        }
        try await BlockingCalls.run { try self.produce(Self.input(100..<200, keys: 100), to: "orders", kafka: kafka) }
        try await run(100)
        try await BlockingCalls.run { try self.produce(Self.input(200..<400, keys: 100), to: "orders", kafka: kafka) }
        try await run(200)
        let committed = try await BlockingCalls.run { try self.committedWithMetadata(app, kafka: kafka) }
        #expect(committed.values.map(\.offset) == [100, 100, 100, 100])

        let untrimmed = try await dryRun(byUser, app: app, from: 0, committed: committed, kafka: kafka)
        #expect(untrimmed.count == 4 && untrimmed.allSatisfy { $0.isComparable && !$0.differs }, "\(untrimmed)")

        // The first run's outputs are gone from every sink partition.
        _ = try await BlockingCalls.run { try KafkaAdmin(configuration: kafka).deleteRecords(firstRunsEnds) }
        let fromStart = try await dryRun(byUser, app: app, from: 0, committed: committed, kafka: kafka)
        #expect(fromStart.count == 4)
        for entry in fromStart {
            #expect(!entry.differs && !entry.isComparable, "an identical replay is no difference: \(entry)")
            #expect(entry.description.contains("CANNOT BE COMPARED"), "\(entry)")
            #expect(entry.description.contains("the sink NO LONGER HOLDS ALL ITS OUTPUTS (totals-0 starts at offset \(firstRunsEnds[0].offset)"), "\(entry)")
            #expect(!entry.description.contains("DIFFER"), "\(entry)")
        }
        // From offset 50 of each input partition (the third run's): every trimmed sink partition
        // holds outputs of it from before (the second run's), so the comparison is whole.
        let later = try await dryRun(byUser, app: app, from: 50, committed: committed, kafka: kafka)
        #expect(later.count == 4)
        for entry in later {
            #expect(entry.isComparable && !entry.differs && entry.sinkTrimmedBelow.isEmpty, "\(entry)")
            #expect(entry.description.contains("for 50..<100 they match the \(entry.outputs) committed outputs"), "\(entry)")
        }
        // Another pipeline's outputs differ, and the trimmed sink does not hide it.
        let byAmount = try await dryRun(try Pipeline(yaml: "operators:\n  - key_by: amount\n"), app: app, from: 0, committed: committed, kafka: kafka)
        #expect(byAmount.count == 4 && byAmount.allSatisfy(\.differs), "\(byAmount)")
        await broker.stop()
    }
}

extension ProcessorEndToEndTests {
    /// With `sink.dead_letter_topic` equal to `sink.topic`, the sink holds committed dead letters
    /// among the outputs, each with its input's source header: an identical replay matches them
    /// with its own dead letters, where it counted them "committed but not replayed" (a false
    /// difference, exit 3). A replay that no longer rejects those inputs differs.
    @Test func aDryRunComparesDeadLettersThatGoToTheSinkTopic() async throws {
        let app = "dry-run-dead-letters-app"
        let (broker, kafka, directory) = try await brokerWithInput(Self.input(0..<200, keys: 20))
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Two inputs per partition that are no JSON: dead letters of `key_by`.
        try await BlockingCalls.run {
            let producer = try KafkaProducer(configuration: ProducerConfiguration(kafka: kafka))
            for partition in Int32(0)..<8 { try producer.send(ProducerRecord(topic: "orders", partition: partition % 4, key: nil, value: Array("not json \(partition)".utf8))) }
            try producer.close()
        }
        let byUser = try Pipeline(yaml: "operators:\n  - key_by: user\n")
        let store = try CheckpointStore(configuration: CheckpointStoreConfiguration(directory: directory, application: app, instance: "0"))
        var settings = Self.shutdownOnlySettings(app, kafka: kafka, stopAfter: 208)
        settings.deadLetterTopic = "totals"
        let run = try Processor(settings: settings, pipeline: byUser, store: store, logger: Logger(label: "test"))
        #expect(try await failureMessage(of: run) == nil)
        let committed = try await BlockingCalls.run { try self.committedWithMetadata(app, kafka: kafka) }
        #expect(committed.values.reduce(0) { $0 + $1.offset } == 208)

        let same = try await dryRun(byUser, app: app, from: 0, committed: committed, kafka: kafka, deadLetterTopic: "totals")
        #expect(same.count == 4)
        for entry in same {
            #expect(entry.deadLetters == 2 && entry.isComparable && !entry.differs, "\(entry)")
            #expect(entry.description.contains("would emit 50 outputs and 2 dead letters (dead letters go to the sink topic, so they are compared too)"), "\(entry)")
            #expect(entry.description.contains("for 0..<52 they match the 52 committed outputs"), "\(entry)")
        }
        // A pipeline that rejects the same inputs in another operator makes other dead letters
        // (their headers name the operator), and the same outputs.
        let filtered = try Pipeline(yaml: "operators:\n  - filter:\n      field: amount\n      greater_than: -1\n  - key_by: user\n")
        let other = try await dryRun(filtered, app: app, from: 0, committed: committed, kafka: kafka, deadLetterTopic: "totals")
        #expect(other.count == 4)
        for entry in other {
            #expect(entry.differs && entry.description.contains("DIFFER from the committed output: 50 match, 2 committed but not replayed, 2 replayed but not committed"), "\(entry)")
        }
        await broker.stop()
    }
}

extension ProcessorEndToEndTests {
    /// A checkpoint holding partitions of a topic dropped from `source.topics` since: the dry
    /// run says so at once, naming the topic, its partitions and what to do, where it waited
    /// 60 s for partitions it never subscribed to and then said to check that Kafka is reachable.
    @Test func aDryRunOfACheckpointWithATopicNoLongerReadSaysSoAtOnce() async throws {
        let (broker, kafka, directory) = try await brokerWithInput(Self.input(0..<40, keys: 20))
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await BlockingCalls.run {
            try KafkaAdmin(configuration: kafka).createTopic("payments", partitions: 2)
            try self.produce(Self.input(0..<10, keys: 2), to: "payments", kafka: kafka)
        }
        let restored = Dictionary(uniqueKeysWithValues: ((0..<4).map { TopicPartition("orders", $0) } + (0..<2).map { TopicPartition("payments", $0) })
            .map { ($0, (state: PartitionState(), offset: Int64(0))) })
        let started = ContinuousClock.now
        let error = await #expect(throws: ReplayAuditUnreadTopics.self) {
            try await BlockingCalls.run {
                try ReplayAudit.run(
                    kafka: kafka, application: "dry-run-dropped-app", pipeline: try Pipeline(yaml: "operators:\n  - key_by: user\n"),
                    sourceTopics: ["orders"], sinkTopic: "totals", checkpoint: CheckpointID(instance: "0", sequence: 7),
                    restored: restored, committed: [:], logger: Logger(label: "test"))
            }
        }
        #expect(ContinuousClock.now - started < .seconds(5))
        let message = "\(error.map { "\($0)" } ?? "no error")"
        #expect(message.hasPrefix("checkpoint 0-7 holds partitions of `payments` (payments-0, payments-1), which `source.topics` no longer lists (it reads `orders`)"), "\(message)")
        #expect(message.contains("Put `payments` back in `source.topics` to replay it, or replay from a checkpoint taken since"), "\(message)")
        await broker.stop()
    }
}

extension ProcessorEndToEndTests {
    /// A transaction left open on the sink (an instance stopped in the middle of one), with
    /// outputs committed after it began: a read_committed reader stops at its first record. The
    /// dry run read the sink only up to there and called the replayed twins of the later
    /// outputs "replayed but not committed" (exit 3). It now reads to the log's end once the
    /// transaction ends, and when it stalls there, says that a transaction holds the sink open,
    /// how long it can, and what to do.
    @Test func aDryRunOverASinkThatATransactionHoldsOpenSaysSoOrWaitsForIt() async throws {
        let app = "dry-run-open-app"
        let (broker, kafka, directory) = try await brokerWithInput(Self.input(0..<200, keys: 20))
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let byUser = try Pipeline(yaml: "operators:\n  - key_by: user\n")
        let run = try runsKeyedByUser(app, kafka: kafka, directory: directory)
        try await run(200)
        // The stopped instance's transaction, then the application goes on.
        let stopped = try await BlockingCalls.run {
            let producer = try KafkaProducer(configuration: ProducerConfiguration(kafka: kafka, transactionalID: "stopped-instance", transactionTimeout: .seconds(300)))
            try producer.initTransactions()
            try producer.beginTransaction()
            for partition in Int32(0)..<4 { try producer.send(ProducerRecord(topic: "totals", partition: partition, key: nil, value: Array("open".utf8))) }
            try producer.flush()
            return producer
        }
        try await BlockingCalls.run { try self.produce(Self.input(200..<300, keys: 20), to: "orders", kafka: kafka) }
        try await run(100)
        let committed = try await BlockingCalls.run { try self.committedWithMetadata(app, kafka: kafka) }
        let restored = Dictionary(uniqueKeysWithValues: committed.keys.map { ($0, (state: PartitionState(), offset: Int64(0))) })
        // Waits for an open transaction up to the transaction timeout (plus the broker's abort
        // check, here none), not the stall limit alone.
        @Sendable func dryRun(transactionTimeout: Duration) throws -> [ReplayAuditEntry] {
            try ReplayAudit.run(
                kafka: kafka, application: app, pipeline: byUser, sourceTopics: ["orders"], sinkTopic: "totals",
                checkpoint: CheckpointID(instance: "0", sequence: 1), restored: restored, committed: committed,
                transactionTimeout: transactionTimeout, stallLimit: .seconds(3), abortSlack: .zero, logger: Logger(label: "test"))
        }

        let error = await #expect(throws: ReplayAuditError.self) { try await BlockingCalls.run { try dryRun(transactionTimeout: .seconds(2)) } }
        let message = error.map { "\($0)" } ?? "no error"
        #expect(message.contains("while reading the committed output"), "\(message)")
        #expect(message.contains("A TRANSACTION HOLDS THEM OPEN (totals-0 from offset "), "\(message)")
        #expect(message.contains("up to the producer's `transaction.timeout.ms` (this application's: 2 s) after it began"), "\(message)")
        #expect(message.contains("Run the dry run again once that has passed"), "\(message)")
        #expect(!message.contains("Check that Kafka is reachable"), "\(message)")

        // The transaction ends while a dry run waits for it, past the stall limit (3 s) but within
        // the transaction timeout: the dry run matches.
        let waiting = Task { try await BlockingCalls.run { try dryRun(transactionTimeout: .seconds(120)) } }
        try await Task.sleep(for: .seconds(6))
        try await BlockingCalls.run { try stopped.abortTransaction() }
        let entries = try await waiting.value
        #expect(entries.count == 4 && entries.allSatisfy { $0.isComparable && !$0.differs }, "\(entries)")
        #expect(entries.allSatisfy { $0.description.contains("for 0..<75 they match the 75 committed outputs") }, "\(entries)")
        try await BlockingCalls.run { try stopped.close() }
        await broker.stop()
    }
}
