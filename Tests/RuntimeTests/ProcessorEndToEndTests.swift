import Checkpointing
import DevBroker
import Foundation
import KafkaClient
import Logging
import MetricsTestKit
import Operators
import Runtime
import Synchronization
import Testing

/// The processor against the development broker (which honours transactions), with a real
/// checkpoint store: what a `read_committed` reader sees must be each expected output once.
@Suite(.serialized) struct ProcessorEndToEndTests {
    static let pipelineYAML = """
        operators:
          - key_by: user
          - aggregate:
              - op: count
              - op: sum
                field: amount
        """

    /// Input record i: user k<(i*7919) % keys>, amount i % 97, in partition (key index % partitions).
    static func input(_ range: Range<Int>, keys: Int) -> [(partition: Int32, user: String, amount: Int)] {
        range.map { i in
            let key = (i * 7919) % keys
            return (Int32(key % 4), "k\(key)", i % 97)
        }
    }

    /// The running count and sum per user after each input record, as (user, count, sum).
    static func expected(_ count: Int, keys: Int) -> [String] {
        expected(count, keys: keys) { _, _ in true }
    }

    func produce(_ records: [(partition: Int32, user: String, amount: Int)], to topic: String, kafka: KafkaConfiguration) throws {
        let producer = try KafkaProducer(configuration: ProducerConfiguration(kafka: kafka))
        for record in records {
            try producer.send(ProducerRecord(
                topic: topic, partition: record.partition, key: Array(record.user.utf8),
                value: Array(#"{"user":"\#(record.user)","amount":\#(record.amount)}"#.utf8)
            ))
        }
        try producer.close()
    }

    /// Reads the sink as a read_committed consumer until `count` records arrived (or `patience` passed).
    func readCommitted(_ topic: String, count: Int, kafka: KafkaConfiguration, patience: Duration = .seconds(60)) throws -> [String] {
        let consumer = try KafkaConsumer(configuration: ConsumerConfiguration(kafka: kafka, groupID: "reader-\(UUID())"))
        defer { try? consumer.close() }
        try consumer.subscribe(topics: [topic])
        var outputs: [String] = []
        let deadline = ContinuousClock.now + patience
        while outputs.count < count, ContinuousClock.now < deadline {
            for record in try consumer.poll(maxRecords: 1000, timeout: .milliseconds(100)) {
                let object = try JSONSerialization.jsonObject(with: Data(record.value)) as! [String: Any]
                outputs.append("\(object["key"]!)/\(object["count"]!)/\(object["sum"]!)")
            }
        }
        // Anything beyond the expected count (a duplicate) must show too: read a little longer.
        for record in try consumer.poll(maxRecords: 1000, timeout: .seconds(1)) {
            outputs.append(String(decoding: record.value, as: UTF8.self))
        }
        return outputs
    }

    func runProcessor(_ settings: ProcessorSettings, store: CheckpointStore, until done: @escaping @Sendable () throws -> Bool) async throws -> ProcessorStatistics {
        let processor = try Processor(settings: settings, pipeline: try Pipeline(yaml: Self.pipelineYAML), store: store, logger: Logger(label: "test"))
        let running = Task { try await BlockingCalls.run { try processor.run(); return processor.statistics } }
        while try !(await BlockingCalls.run(done)) {
            try await Task.sleep(for: .milliseconds(200))
        }
        processor.requestShutdown()
        return try await running.value
    }

    /// Runs `processor` on its own thread until it stops; its failure's message, or `nil` when
    /// it stopped cleanly.
    func failureMessage(of processor: Processor) async throws -> String? {
        try await BlockingCalls.run { () -> String? in
            do throws(ProcessorFailure) {
                try processor.run()
                return nil
            } catch {
                return error.message
            }
        }
    }

    /// Waits (up to a minute) until a read_committed reader sees `count` outputs in `totals`.
    /// What an instance that died between sending its offsets and committing leaves: a
    /// transaction (of `<group>-stopped`) holding offsets of `orders` `partitions` for `group`,
    /// which the broker aborts `heldFor` after it began. Keep the producer until then.
    func holdOffsets(of group: String, partitions: Range<Int32>, for heldFor: Duration, kafka: KafkaConfiguration) async throws -> KafkaProducer {
        try await BlockingCalls.run {
            let producer = try KafkaProducer(configuration: ProducerConfiguration(
                kafka: kafka, transactionalID: "\(group)-stopped", transactionTimeout: heldFor))
            try producer.initTransactions()
            try producer.beginTransaction()
            try producer.sendOffsetsToTransaction(
                partitions.map { PartitionOffset(TopicPartition("orders", $0), offset: 1, metadata: "") },
                group: ConsumerGroupMetadata(groupID: group))
            return producer
        }
    }

    func awaitCommitted(_ count: Int, kafka: KafkaConfiguration) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while try await BlockingCalls.run({ try self.readCommitted("totals", count: count, kafka: kafka, patience: .seconds(2)).count }) < count,
            ContinuousClock.now < deadline {}
    }

    /// Shuts `processor` down after a minute: a test that expects it to stop on its own then
    /// fails instead of hanging. Cancel it once the processor stopped.
    func watchdog(for processor: Processor) -> Task<Void, any Error> {
        Task {
            try await Task.sleep(for: .seconds(60))
            processor.requestShutdown()
        }
    }

    /// The failure message of `processor`, which `running` runs: it must stop on its own,
    /// within a minute (the watchdog then shuts it down, cleanly, and this fails).
    func messageWhenItStops(_ processor: Processor, _ running: Task<String?, any Error>) async throws -> String {
        let watchdog = watchdog(for: processor)
        defer { watchdog.cancel() }
        return try #require(try await running.value, "the processor must stop on its own")
    }

    /// Expects a read_committed reader of `totals` to see `expected`, each once, and nothing else.
    func expectCommitted(_ expected: [String], kafka: KafkaConfiguration) async throws {
        let outputs = try await BlockingCalls.run { try self.readCommitted("totals", count: expected.count, kafka: kafka, patience: .seconds(5)) }
        #expect(outputs.count == expected.count, "the expected outputs, each once, and nothing else")
        #expect(outputs.sorted() == expected.sorted())
    }

    /// A development broker with topics `orders` and `totals` (4 partitions each) and `input` in
    /// `orders`, and a fresh checkpoint directory (the caller removes it).
    func brokerWithInput(_ input: [(partition: Int32, user: String, amount: Int)]) async throws -> (DevBroker, KafkaConfiguration, String) {
        let broker = try await DevBroker.start(DevBrokerConfiguration(port: 0, defaultPartitions: 4))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("exactly-e2e-\(UUID())").path
        let kafka = KafkaConfiguration(bootstrapServers: [broker.bootstrapServers])
        try await BlockingCalls.run {
            let admin = try KafkaAdmin(configuration: kafka)
            try admin.createTopic("orders", partitions: 4)
            try admin.createTopic("totals", partitions: 4)
            try self.produce(input, to: "orders", kafka: kafka)
        }
        return (broker, kafka, directory)
    }

    /// Starts instance `instance` of `application` (100 ms checkpoints) on its own thread; it
    /// runs until ``Processor/requestShutdown()``.
    func startProcessor(
        _ application: String, instance: String, kafka: KafkaConfiguration, directory: String
    ) throws -> (Processor, Task<ProcessorStatistics, any Error>) {
        let processor = try makeProcessor(Self.quickSettings(application, instance: instance, kafka: kafka), directory: directory)
        return (processor, Task { try await BlockingCalls.run { try processor.run(); return processor.statistics } })
    }

    /// Instance `instance` of `application` reading `orders` into `totals`, checkpointing every 100 ms.
    static func quickSettings(_ application: String, instance: String, kafka: KafkaConfiguration) -> ProcessorSettings {
        ProcessorSettings(
            kafka: kafka, application: application, instance: instance,
            sourceTopics: ["orders"], sinkTopic: "totals",
            checkpoint: CheckpointSettings(interval: .milliseconds(100), timeout: .seconds(20)),
            transactionTimeout: .seconds(60)
        )
    }

    /// A processor running the demo pipeline with `settings`, checkpointing into `directory`.
    func makeProcessor(_ settings: ProcessorSettings, directory: String) throws -> Processor {
        let store = try CheckpointStore(configuration: CheckpointStoreConfiguration(
            directory: directory, application: settings.application, instance: settings.transactionalID))
        return try Processor(settings: settings, pipeline: try Pipeline(yaml: Self.pipelineYAML), store: store, logger: Logger(label: "test"))
    }

    /// Instance 0 of `application` reading `orders` into `totals`, checkpointing every 200 ms.
    static func settings(application: String, kafka: KafkaConfiguration) -> ProcessorSettings {
        ProcessorSettings(
            kafka: kafka, application: application, instance: "0",
            sourceTopics: ["orders"], sinkTopic: "totals",
            checkpoint: CheckpointSettings(interval: .milliseconds(200), timeout: .seconds(10)),
            transactionTimeout: .seconds(30)
        )
    }

    /// Waits (up to 30 s) until the broker holds the answer to a commit.
    func untilAnEndTxnAnswerIsHeld(_ broker: DevBroker) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while broker.heldEndTxnAnswers == 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        try #require(broker.heldEndTxnAnswers == 1, "no commit came to hold")
    }

    /// One lane, and more lanes than fit evenly over the 4 partitions: the lane split must not
    /// change what is committed.
    @Test(arguments: [1, 3])
    func outputIsExactlyOnceAcrossACleanRestart(lanes: Int) async throws {
        let keys = 50
        let (broker, kafka, directory) = try await brokerWithInput(Self.input(0..<2000, keys: keys))
        defer { try? FileManager.default.removeItem(atPath: directory) }

        var settings = Self.settings(application: "totals-app", kafka: kafka)
        settings.processingLanes = lanes
        let metrics = TestMetrics()
        settings.metricsFactory = metrics
        let health = HealthBoard(checkpoint: settings.checkpoint)
        settings.health = health
        let readinessWhileRunning = Mutex<ProcessorHealth.Verdict?>(nil)
        let store = try CheckpointStore(configuration: CheckpointStoreConfiguration(directory: directory, application: "totals-app", instance: "totals-app-0"))
        let first = try await runProcessor(settings, store: store) {
            guard try self.readCommitted("totals", count: 2000, kafka: kafka).count >= 2000 else { return false }
            readinessWhileRunning.withLock { $0 = health.current().readiness(at: .now) }
            return true
        }
        // The health probes' view: ready while it ran (committing, all partitions), stopped after.
        let readiness = try #require(readinessWhileRunning.withLock { $0 })
        #expect(readiness.passes, "\(readiness)")
        #expect(readiness.explanation.hasPrefix("the last checkpoint committed "), "\(readiness)")
        #expect(readiness.explanation.hasSuffix(" ago; 4 partitions assigned"), "\(readiness)")
        #expect(health.current().phase == .stopped(failure: nil))
        #expect(!health.current().readiness(at: .now).passes)
        settings.health = nil
        #expect(first.recordsProcessed >= 2000)
        #expect(first.checkpointsCompleted >= 1)
        // The metrics endpoint's figures agree with the run's own.
        let labels = [("application", "totals-app"), ("instance", "0")]
        #expect(try metrics.expectCounter("exactly_records_processed_total", labels).totalValue == Int64(first.recordsProcessed))
        #expect(try metrics.expectCounter("exactly_records_produced_total", labels).totalValue == Int64(first.recordsProduced))
        #expect(try metrics.expectCounter("exactly_checkpoints_committed_total", labels).totalValue == Int64(first.checkpointsCompleted))
        #expect(try metrics.expectTimer("exactly_checkpoint_stall_seconds", labels).values.count == first.stalls.count)
        #expect(try metrics.expectTimer("exactly_commit_seconds", labels).values.count == first.commits.count)
        #expect(try metrics.expectGauge("exactly_assigned_partitions", labels).values.contains(4))

        // More input while it is down; the restarted processor resumes from its checkpoint.
        try await BlockingCalls.run { try self.produce(Self.input(2000..<3000, keys: keys), to: "orders", kafka: kafka) }
        let restartedStore = try CheckpointStore(configuration: CheckpointStoreConfiguration(directory: directory, application: "totals-app", instance: "totals-app-0"))
        let second = try await runProcessor(settings, store: restartedStore) {
            try self.readCommitted("totals", count: 3000, kafka: kafka).count >= 3000
        }
        #expect(second.recordsProcessed == 1000, "the restart must resume at the committed offsets, not re-read")

        let outputs = try await BlockingCalls.run { try self.readCommitted("totals", count: 3000, kafka: kafka) }
        #expect(outputs.count == 3000)
        #expect(outputs.sorted() == Self.expected(3000, keys: keys).sorted())
        await broker.stop()
    }

    /// A source topic the cluster does not have, or a sink topic on a cluster that does not
    /// create topics on first use, is refused at start with the key and the cluster's topics:
    /// before, a mistyped source topic left the processor waiting forever after one warning.
    @Test func missingTopicsAreRefusedAtStartNamingTheKeyAndWhatExists() async throws {
        let broker = try await DevBroker.start(DevBrokerConfiguration(port: 0, defaultPartitions: 2, autoCreateTopics: false))
        let kafka = KafkaConfiguration(bootstrapServers: [broker.bootstrapServers])
        try await BlockingCalls.run {
            let admin = try KafkaAdmin(configuration: kafka)
            try admin.createTopic("orders", partitions: 2)
            try admin.createTopic("totals", partitions: 2)
            try admin.createTopic("totals-dead-letters", partitions: 2)
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("exactly-e2e-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        func failure(source: String, sink: String) async throws -> String {
            var settings = Self.settings(application: "missing-\(source)-\(sink)", kafka: kafka)
            settings.sourceTopics = [source]
            settings.sinkTopic = sink
            settings.deadLetterTopic = "totals-dead-letters"
            let store = try CheckpointStore(configuration: CheckpointStoreConfiguration(
                directory: directory, application: settings.application, instance: settings.transactionalID))
            let processor = try Processor(settings: settings, pipeline: try Pipeline(yaml: Self.pipelineYAML), store: store, logger: Logger(label: "test"))
            return try await failureMessage(of: processor) ?? "started"
        }
        let source = try await failure(source: "ordres", sink: "totals")
        #expect(source.hasPrefix("source topic `ordres` does not exist on \(broker.bootstrapServers), or this client may not see it (it has orders, totals, totals-dead-letters): fix `source.topics`"), "\(source)")
        let sink = try await failure(source: "orders", sink: "totls")
        #expect(sink.hasPrefix("sink.topic `totls` does not exist on \(broker.bootstrapServers), and the cluster does not create topics on first use (auto.create.topics.enable is false; it has orders, totals, totals-dead-letters)"), "\(sink)")
        #expect(sink.hasSuffix("Nothing was consumed or produced."))
        await broker.stop()
    }

    /// A source topic deleted and created again under a running processor restarts its offsets
    /// at 0: its log ends before the read positions. Under `auto.offset.reset` `earliest`
    /// librdkafka moved the positions to 0, and processing on would have folded the new records
    /// into the old topic's state under offsets that committed outputs already name (then caught
    /// as an ``OffsetRegression``); now it reports the positions out of range, and the processor
    /// stops saying the log lost records, and what was committed stays as it was. (A restart
    /// then refuses too: deleting the topic deleted the group's committed offsets, which the
    /// recovery explains.)
    @Test func aSourceLogThatEndsBeforeThePositionStopsTheProcessorAndCommittedOutputStays() async throws {
        let keys = 30
        let (broker, kafka, directory) = try await brokerWithInput(Self.input(0..<1000, keys: keys))
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let processor = try makeProcessor(Self.quickSettings("regress-app", instance: "0", kafka: kafka), directory: directory)
        let running = Task { try await self.failureMessage(of: processor) }
        try await awaitCommitted(1000, kafka: kafka)
        // The topic again, holding fewer records than were read from each partition before.
        try await BlockingCalls.run {
            let admin = try KafkaAdmin(configuration: kafka)
            try admin.deleteTopic("orders")
            try admin.createTopic("orders", partitions: 4)
            try self.produce(Self.input(0..<40, keys: keys), to: "orders", kafka: kafka)
        }
        // Without the stop it would process on.
        let message = try await messageWhenItStops(processor, running)
        #expect(message.hasPrefix("orders-"), "\(message)")
        #expect(message.contains(": the log ends at offset "), "\(message)")
        #expect(message.contains(", before this application's position "), "\(message)")
        #expect(message.contains("the topic was deleted and created again"), "\(message)")
        #expect(message.contains("the consumer group `regress-app`'s committed offsets"), "\(message)")
        try await expectCommitted(Self.expected(1000, keys: keys), kafka: kafka)
        await broker.stop()
    }

    /// A source topic deleted under a running processor (and not created again) stops it with a
    /// message naming the topic, once the consumer's reports have gone on for the grace period
    /// and the cluster's topic list confirms it; what was committed stays, each output once.
    @Test func aSourceTopicDeletedUnderTheProcessorStopsItAndCommittedOutputStays() async throws {
        let keys = 30
        let (broker, kafka, directory) = try await brokerWithInput(Self.input(0..<1000, keys: keys))
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var settings = Self.settings(application: "gone-app", kafka: kafka)
        settings.missingSourceTopicGrace = .seconds(1)
        let processor = try makeProcessor(settings, directory: directory)
        let running = Task { try await self.failureMessage(of: processor) }
        try await awaitCommitted(1000, kafka: kafka)
        try await BlockingCalls.run { try KafkaAdmin(configuration: kafka).deleteTopic("orders") }
        // Without the watch it would go on committing empty checkpoints.
        let message = try await messageWhenItStops(processor, running)
        #expect(message.hasPrefix("source topic `orders` no longer exists on \(broker.bootstrapServers) "), "\(message)")
        #expect(message.contains("it has totals"), "\(message)")
        #expect(message.contains("the consumer group `gone-app`'s committed offsets"), "\(message)")
        #expect(message.contains("the last committed checkpoint is gone-app-0-"), "\(message)")
        try await expectCommitted(Self.expected(1000, keys: keys), kafka: kafka)
        await broker.stop()
    }

    /// The sink topic deleted under a running processor, and created again by its next record:
    /// the partitions no longer know the producer's sequence, the transaction fails fatally, and
    /// the processor stops saying what most likely happened. A restart resumes from the last
    /// committed checkpoint: the new topic then holds the outputs of the input that came after
    /// it, each once, nothing else.
    @Test func aSinkTopicDeletedUnderTheProcessorStopsItAndARestartWritesTheRestOnce() async throws {
        let keys = 30
        let (broker, kafka, directory) = try await brokerWithInput(Self.input(0..<1000, keys: keys))
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let settings = Self.settings(application: "sink-gone-app", kafka: kafka)
        let first = try makeProcessor(settings, directory: directory)
        let running = Task { try await self.failureMessage(of: first) }
        try await awaitCommitted(1000, kafka: kafka)
        try await BlockingCalls.run {
            try KafkaAdmin(configuration: kafka).deleteTopic("totals")
            try self.produce(Self.input(1000..<2000, keys: keys), to: "orders", kafka: kafka)
        }
        let message = try await messageWhenItStops(first, running)
        // Whichever notices first (a lane's send, or the checkpoint's offsets or commit) names
        // the sink, with or without its dead-letter topic.
        #expect(message.contains("Kafka no longer holds this producer's earlier records in a partition it writes to (OUT_OF_ORDER_SEQUENCE_NUMBER): most likely `totals`"), "\(message)")
        #expect(message.contains("A restart resumes from the last committed checkpoint"), "\(message)")

        let second = try makeProcessor(settings, directory: directory)
        let restarted = Task { try await BlockingCalls.run { try second.run() } }
        let rest = Array(Self.expected(2000, keys: keys)[1000...])
        try await awaitCommitted(rest.count, kafka: kafka)
        second.requestShutdown()
        try await restarted.value
        try await expectCommitted(rest, kafka: kafka)  // the outputs of the input after the last committed checkpoint
        await broker.stop()
    }

    /// A record that stops the pipeline (`on_error: stop`) in one lane stops the processor with
    /// the pipeline's message while checkpoints of the other lanes' work go on; what a
    /// read_committed reader then sees is each output at most once, nothing else, and a restart
    /// stops at the same record (it was not committed past).
    @Test func aLaneThatStopsStopsTheProcessorAndNothingIsCommittedPastIt() async throws {
        let broker = try await DevBroker.start(DevBrokerConfiguration(port: 0, defaultPartitions: 4))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("exactly-e2e-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let kafka = KafkaConfiguration(bootstrapServers: [broker.bootstrapServers])
        let input = Self.input(0..<4000, keys: 20)
        let badOffset = input.filter { $0.partition == 2 }.count
        try await BlockingCalls.run {
            let admin = try KafkaAdmin(configuration: kafka)
            try admin.createTopic("orders", partitions: 4)
            try admin.createTopic("totals", partitions: 4)
            try self.produce(input, to: "orders", kafka: kafka)
            // Partition 2 then gets a record without `user`: `key_by` fails on it.
            let producer = try KafkaProducer(configuration: ProducerConfiguration(kafka: kafka))
            try producer.send(ProducerRecord(topic: "orders", partition: 2, key: nil, value: Array(#"{"amount":1}"#.utf8)))
            try producer.close()
        }
        var settings = ProcessorSettings(
            kafka: kafka, application: "stop-app", instance: "0",
            sourceTopics: ["orders"], sinkTopic: "totals",
            checkpoint: CheckpointSettings(interval: .milliseconds(20), timeout: .seconds(10)),
            transactionTimeout: .seconds(60)
        )
        settings.processingLanes = 2
        let pipeline = try Pipeline(yaml: "on_error: stop\n" + Self.pipelineYAML)
        for _ in 0..<2 {
            let store = try CheckpointStore(configuration: CheckpointStoreConfiguration(directory: directory, application: "stop-app", instance: "stop-app-0"))
            let processor = try Processor(settings: settings, pipeline: pipeline, store: store, logger: Logger(label: "test"))
            let outcome = try await failureMessage(of: processor)
            let message = try #require(outcome, "the processor must stop on its own with the pipeline's error")
            #expect(message.contains("pipeline stopped at orders-2 offset \(badOffset) in operators[0] key_by"), "\(message)")
        }
        let outputs = try await BlockingCalls.run { try self.readCommitted("totals", count: input.count, kafka: kafka, patience: .seconds(3)) }
        #expect(Set(outputs).count == outputs.count, "no output twice")
        #expect(Set(outputs).isSubset(of: Self.expected(input.count, keys: 20)), "nothing but expected outputs")
        await broker.stop()
    }

    /// A second instance joins while the first one's commit is in flight (the broker applied the
    /// EndTxn and holds its answer). The first must learn the commit's outcome before it commits
    /// or aborts anything for the partitions it gives up: deciding to abort while the commit may
    /// still succeed would roll its state back behind what Kafka committed and produce committed
    /// outputs again. What a read_committed reader sees must be each expected output once.
    @Test func aRebalanceDuringACommitInFlightKeepsTheOutputExactlyOnce() async throws {
        let keys = 40
        let (broker, kafka, directory) = try await brokerWithInput(Self.input(0..<2000, keys: keys))
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (first, firstRun) = try startProcessor("handover-app", instance: "0", kafka: kafka, directory: directory)
        _ = try await BlockingCalls.run { try self.readCommitted("totals", count: 1, kafka: kafka) }
        // Hold the answer to the first instance's next commit long enough for the second one
        // to join and for the group to rebalance (librdkafka notices at its next heartbeat,
        // within 3 s); more input keeps the first instance checkpointing meanwhile.
        broker.holdEndTxnAnswers(count: 1, for: .seconds(6))
        try await BlockingCalls.run { try self.produce(Self.input(2000..<3000, keys: keys), to: "orders", kafka: kafka) }
        try await untilAnEndTxnAnswerIsHeld(broker)
        let (second, secondRun) = try startProcessor("handover-app", instance: "1", kafka: kafka, directory: directory)
        // Once the commit's answer is out, the rebalance completes: the rest of the input is
        // for both instances.
        while broker.heldEndTxnAnswers > 0 {
            try await Task.sleep(for: .milliseconds(10))
        }
        try await Task.sleep(for: .seconds(3))
        try await BlockingCalls.run { try self.produce(Self.input(3000..<4000, keys: keys), to: "orders", kafka: kafka) }

        let outputs = try await BlockingCalls.run { try self.readCommitted("totals", count: 4000, kafka: kafka) }
        first.requestShutdown()
        second.requestShutdown()
        let (firstStatistics, secondStatistics) = (try await firstRun.value, try await secondRun.value)
        #expect(firstStatistics.rebalancesDuringCommit >= 1, "the rebalance must have come while the commit was in flight")
        #expect(secondStatistics.recordsProcessed > 0, "the second instance must have taken partitions over")
        #expect(outputs.count == 4000)
        #expect(outputs.sorted() == Self.expected(4000, keys: keys).sorted())
        await broker.stop()
    }

    /// A takeover of partitions whose offsets a transaction still holds: their previous owner
    /// stopped between sending its offsets and committing (here a stand-in producer that
    /// sends offsets for every partition of the group and never ends its transaction). Until
    /// Kafka aborts that transaction at its timeout, the partitions' committed offsets cannot
    /// be read, and nobody may read on from them. The new owner holds them paused and goes
    /// on processing the partitions it had; once the offsets can be read it restores them as
    /// usual. Before, it waited inside the rebalance with every partition standing still, and
    /// stopped after 30 s. What a read_committed reader sees must be each expected output once.
    @Test func partitionsWhoseOffsetsAnOpenTransactionHoldsWaitWhileTheOthersAreProcessed() async throws {
        let keys = 40
        let (broker, kafka, directory) = try await brokerWithInput(Self.input(0..<1000, keys: keys))
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var settings = Self.quickSettings("held-app", instance: "0", kafka: kafka)
        let metrics = TestMetrics()
        settings.metricsFactory = metrics
        let firstHealth = HealthBoard(checkpoint: settings.checkpoint)
        settings.health = firstHealth
        let first = try makeProcessor(settings, directory: directory)
        let firstRun = Task { try await BlockingCalls.run { try first.run(); return first.statistics } }
        let watchdog = watchdog(for: first)
        defer { watchdog.cancel() }
        var secondSettings = Self.quickSettings("held-app", instance: "1", kafka: kafka)
        let secondHealth = HealthBoard(checkpoint: secondSettings.checkpoint)
        secondSettings.health = secondHealth
        let second = try makeProcessor(secondSettings, directory: directory)
        let secondRun = Task { try await BlockingCalls.run { try second.run(); return second.statistics } }
        try await awaitCommitted(1000, kafka: kafka)
        let deadline = ContinuousClock.now + .seconds(30)
        // Both must hold partitions: the first goes on with its own while it waits for the second's.
        func shared() -> Bool { firstHealth.current().partitionsAssigned > 0 && secondHealth.current().partitionsAssigned > 0 }
        while !shared(), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        try #require(shared(), "the two instances never shared the partitions")

        // The stand-in's transaction holds offsets for every partition; the broker aborts it
        // 20 s after it began.
        let heldFor = Duration.seconds(20)
        let held = try await holdOffsets(of: "held-app", partitions: 0..<4, for: heldFor, kafka: kafka)
        let heldUntil = ContinuousClock.now + heldFor
        // The second instance stops (its partitions committed); the first is assigned them and
        // cannot read their offsets.
        second.requestShutdown()
        _ = try await secondRun.value
        let awaiting = { (try? metrics.expectGauge("exactly_partitions_awaiting_offsets", [("application", "held-app"), ("instance", "0")]).lastValue) ?? 0 }
        while awaiting() == 0, ContinuousClock.now < heldUntil {
            try await Task.sleep(for: .milliseconds(50))
        }
        try #require(awaiting() > 0, "the first instance did not hold the taken-over partitions paused while their offsets were held")

        // Input for every partition: the first instance's own are processed meanwhile.
        try await BlockingCalls.run { try self.produce(Self.input(1000..<2000, keys: keys), to: "orders", kafka: kafka) }
        var whileHeld = 0
        while whileHeld <= 1000, ContinuousClock.now < heldUntil - .seconds(2) {
            whileHeld = try await BlockingCalls.run { try self.readCommitted("totals", count: 1001, kafka: kafka, patience: .seconds(1)).count }
        }
        let stillHeld = ContinuousClock.now < heldUntil - .seconds(1) && awaiting() > 0
        #expect(whileHeld > 1000, "the partitions the first instance had were not processed while the others waited")
        #expect(stillHeld, "the check ran too late to tell: the held transaction may have ended")

        try await awaitCommitted(2000, kafka: kafka)
        try await expectCommitted(Self.expected(2000, keys: keys), kafka: kafka)
        #expect(awaiting() == 0)
        first.requestShutdown()
        _ = try await firstRun.value  // stopped cleanly: the wait was not a failure
        withExtendedLifetime(held) {}
        await broker.stop()
    }

    /// An assignment in which only some partitions' offsets are held: the others are read,
    /// restored and processed while the held ones wait. Before, one read covered them all, and
    /// librdkafka asked again for every partition while any was held, so the free partitions
    /// waited with the held ones (under an eager strategy, every partition of the instance).
    @Test func partitionsWhoseOffsetsAreFreeAreProcessedWhileOthersInTheSameAssignmentAreHeld() async throws {
        let keys = 40
        let (broker, kafka, directory) = try await brokerWithInput(Self.input(0..<1000, keys: keys))
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // A stand-in transaction holds offsets for partitions 0 and 1 of the four; the broker
        // aborts it 15 s after it began.
        let heldFor = Duration.seconds(15)
        let held = try await holdOffsets(of: "partly-held-app", partitions: 0..<2, for: heldFor, kafka: kafka)
        let heldUntil = ContinuousClock.now + heldFor
        var settings = Self.quickSettings("partly-held-app", instance: "0", kafka: kafka)
        let metrics = TestMetrics()
        settings.metricsFactory = metrics
        let processor = try makeProcessor(settings, directory: directory)
        let run = Task { try await BlockingCalls.run { try processor.run(); return processor.statistics } }
        let watchdog = watchdog(for: processor)
        defer { watchdog.cancel() }
        let awaiting = { (try? metrics.expectGauge("exactly_partitions_awaiting_offsets", [("application", "partly-held-app"), ("instance", "0")]).lastValue) ?? 0 }

        // The free partitions' outputs arrive while the held ones still wait.
        var whileHeld = 0
        while whileHeld == 0, ContinuousClock.now < heldUntil - .seconds(3) {
            whileHeld = try await BlockingCalls.run { try self.readCommitted("totals", count: 1000, kafka: kafka, patience: .seconds(1)).count }
        }
        let waitingThen = awaiting()
        let stillHeld = ContinuousClock.now < heldUntil - .seconds(2)
        #expect(whileHeld > 0, "nothing was processed while two of the four partitions' offsets were held")
        #expect(whileHeld < 1000, "every input was processed while two partitions' offsets were held")
        #expect(waitingThen == 2, "not exactly the two held partitions were waiting")
        #expect(stillHeld, "the check ran too late to tell: the held transaction may have ended")

        try await awaitCommitted(1000, kafka: kafka)
        try await expectCommitted(Self.expected(1000, keys: keys), kafka: kafka)
        #expect(awaiting() == 0)
        processor.requestShutdown()
        _ = try await run.value
        withExtendedLifetime(held) {}
        await broker.stop()
    }

    /// The group drops the instance (its session expired, say) while its commit is in flight:
    /// librdkafka reports its partitions lost. The instance must learn the commit's outcome
    /// before it aborts the open epoch and gives the partitions up; when it gets them back it
    /// recovers from what Kafka committed. What a read_committed reader sees must be each
    /// expected output once.
    @Test func partitionsLostDuringACommitInFlightKeepTheOutputExactlyOnce() async throws {
        let keys = 40
        let (broker, kafka, directory) = try await brokerWithInput(Self.input(0..<2000, keys: keys))
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (processor, running) = try startProcessor("lost-app", instance: "0", kafka: kafka, directory: directory)
        _ = try await BlockingCalls.run { try self.readCommitted("totals", count: 1, kafka: kafka) }

        // Hold the next commit's answer longer than a heartbeat interval (3 s), then drop the
        // member: its next heartbeat learns it, while the commit is still in flight.
        broker.holdEndTxnAnswers(count: 1, for: .seconds(6))
        try await BlockingCalls.run { try self.produce(Self.input(2000..<3000, keys: keys), to: "orders", kafka: kafka) }
        try await untilAnEndTxnAnswerIsHeld(broker)
        broker.expireMembers(ofGroup: "lost-app")
        while broker.heldEndTxnAnswers > 0 {
            try await Task.sleep(for: .milliseconds(10))
        }
        try await BlockingCalls.run { try self.produce(Self.input(3000..<4000, keys: keys), to: "orders", kafka: kafka) }

        let outputs = try await BlockingCalls.run { try self.readCommitted("totals", count: 4000, kafka: kafka) }
        processor.requestShutdown()
        let statistics = try await running.value
        #expect(statistics.rebalancesDuringCommit >= 1, "the loss must have been reported while the commit was in flight")
        #expect(outputs.count == 4000)
        #expect(outputs.sorted() == Self.expected(4000, keys: keys).sorted())
        await broker.stop()
    }

    /// Every output names its input in `exactly.source` (the input's topic, partition and
    /// offset, as a read_committed reader sees it), unless `sink.source_header` is off: then no
    /// output carries it.
    @Test(arguments: [true, false])
    func outputsNameTheirInputUnlessTheSourceHeaderIsOff(sourceHeader: Bool) async throws {
        let input = Self.input(0..<400, keys: 20)
        let (broker, kafka, directory) = try await brokerWithInput(input)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var settings = Self.settings(application: "source-header", kafka: kafka)
        settings.sourceHeader = sourceHeader
        let store = try CheckpointStore(configuration: CheckpointStoreConfiguration(directory: directory, application: "source-header", instance: "source-header-0"))
        _ = try await runProcessor(settings, store: store) {
            try self.readCommitted("totals", count: 400, kafka: kafka).count >= 400
        }
        let consumer = try KafkaConsumer(configuration: ConsumerConfiguration(kafka: kafka, groupID: "headers-\(UUID())"))
        defer { try? consumer.close() }
        try consumer.subscribe(topics: ["totals"])
        var sources: [String] = []
        var withoutHeader = 0
        let deadline = ContinuousClock.now + .seconds(60)
        while sources.count + withoutHeader < 400, ContinuousClock.now < deadline {
            for record in try consumer.poll(maxRecords: 1000, timeout: .milliseconds(100)) {
                guard let value = record.headers.first(where: { $0.name == "exactly.source" })?.value else {
                    withoutHeader += 1
                    continue
                }
                sources.append(String(decoding: value, as: UTF8.self))
            }
        }
        // Which offsets each input partition holds: the producer of the input numbers them from 0.
        var expected: [String] = []
        var next: [Int32: Int] = [:]
        for record in input {
            expected.append("orders/\(record.partition)/\(next[record.partition, default: 0])")
            next[record.partition, default: 0] += 1
        }
        if sourceHeader {
            #expect(withoutHeader == 0)
            #expect(sources.sorted() == expected.sorted(), "each output names its own input once")
        } else {
            #expect(sources.isEmpty, "no output may carry the header when it is off")
            #expect(withoutHeader == 400)
        }
        await broker.stop()
    }
}
