import DevBroker
import ExactlyTesting
import Foundation
import KafkaClient
import Synchronization
import Testing

/// The issue's scenarios through the project's `KafkaClient` (librdkafka), against the broker
/// in-process on an ephemeral port, or against `KAFKA_BOOTSTRAP` when set.
@Suite("Through KafkaClient", .serialized, .timeLimit(.minutes(2)))
struct KafkaClientIntegrationTests {
    static func kafka(_ bootstrap: String) -> KafkaConfiguration {
        KafkaConfiguration(bootstrapServers: [bootstrap], clientID: "devbroker-test")
    }

    static func consumer(
        _ bootstrap: String, group: String, isolation: ConsumerConfiguration.IsolationLevel = .readCommitted,
        strategy: ConsumerConfiguration.AssignmentStrategy = .cooperativeSticky,
        onRebalance: (@Sendable (RebalanceEvent) -> AssignmentStart)? = nil
    ) throws -> KafkaConsumer {
        try KafkaConsumer(
            configuration: ConsumerConfiguration(
                kafka: kafka(bootstrap), groupID: group, isolationLevel: isolation, offsetReset: .earliest,
                assignmentStrategy: strategy, sessionTimeout: .seconds(6)
            ),
            rebalanceHandler: onRebalance
        )
    }

    /// Polls until `count` values arrived or `timeout` passed; returns what arrived.
    static func values(_ consumer: KafkaConsumer, count: Int, timeout: Duration = .seconds(20)) async throws -> [String] {
        try await BlockingCalls.run {
            var values: [String] = []
            let deadline = ContinuousClock.now + timeout
            while values.count < count && ContinuousClock.now < deadline {
                values += try consumer.poll(maxRecords: 500, timeout: .milliseconds(200)).map { String(decoding: $0.value, as: UTF8.self) }
            }
            return values
        }
    }

    /// Everything currently readable at `isolation`, from the start, by a fresh group.
    static func readAll(_ bootstrap: String, topic: String, isolation: ConsumerConfiguration.IsolationLevel, expecting: Int) async throws -> [String] {
        let c = try consumer(bootstrap, group: "reader-\(UUID().uuidString)", isolation: isolation)
        try c.subscribe(topics: [topic])
        let result = try await values(c, count: expecting, timeout: .seconds(15))
        // Give a stray extra record the chance to show up: the assertion is on the exact list.
        let extra = try await BlockingCalls.run { try c.poll(maxRecords: 100, timeout: .milliseconds(500)) }
        try c.close()
        return result + extra.map { String(decoding: $0.value, as: UTF8.self) }
    }

    static func send(_ producer: KafkaProducer, _ topic: String, _ values: [String], partition: Int32? = 0) throws {
        for v in values {
            try producer.send(ProducerRecord(topic: topic, partition: partition, value: Array(v.utf8)))
        }
    }

    static func createTopic(_ bootstrap: String, _ name: String, partitions: Int32) async throws {
        try await BlockingCalls.run {
            let admin = try KafkaAdmin(configuration: kafka(bootstrap))
            try admin.createTopic(name, partitions: partitions)
        }
    }

    @Test func producedRecordsAreConsumedInOrder() async throws {
        try await TestKafka.with { kafka in
            let topic = kafka.uniqueName("plain")
            try await Self.createTopic(kafka.bootstrapServers, topic, partitions: 1)
            let values = (0..<500).map { "record-\($0)" }
            try await BlockingCalls.run {
                let producer = try KafkaProducer(configuration: ProducerConfiguration(kafka: Self.kafka(kafka.bootstrapServers)))
                try Self.send(producer, topic, values)
                try producer.flush()
                try producer.close()
            }
            let consumer = try Self.consumer(kafka.bootstrapServers, group: kafka.uniqueName("g"))
            try consumer.subscribe(topics: [topic])
            #expect(try await Self.values(consumer, count: values.count) == values)
            try consumer.close()
        }
    }

    @Test func twoConsumersOfOneGroupShareThePartitionsAfterARebalance() async throws {
        try await TestKafka.with { kafka in
            let topic = kafka.uniqueName("shared")
            let group = kafka.uniqueName("g")
            try await Self.createTopic(kafka.bootstrapServers, topic, partitions: 4)
            let first = try Self.consumer(kafka.bootstrapServers, group: group)
            let second = try Self.consumer(kafka.bootstrapServers, group: group)
            try first.subscribe(topics: [topic])
            let (a, b) = try await BlockingCalls.run {
                let deadline = ContinuousClock.now + .seconds(40)
                while try first.assignment().count < 4 && ContinuousClock.now < deadline {
                    _ = try first.poll(maxRecords: 10, timeout: .milliseconds(100))
                }
                try second.subscribe(topics: [topic])
                while ContinuousClock.now < deadline {
                    _ = try first.poll(maxRecords: 10, timeout: .milliseconds(50))
                    _ = try second.poll(maxRecords: 10, timeout: .milliseconds(50))
                    if try first.assignment().count == 2 && second.assignment().count == 2 { break }
                }
                return (try first.assignment(), try second.assignment())
            }
            #expect(a.count == 2)
            #expect(b.count == 2)
            #expect(Set(a).isDisjoint(with: Set(b)))
            #expect(Set(a + b).count == 4)
            try first.close()
            try second.close()
        }
    }

    @Test func committedTransactionIsVisibleToReadCommittedAndAbortedOnlyToReadUncommitted() async throws {
        try await TestKafka.with { kafka in
            let topic = kafka.uniqueName("txn")
            try await Self.createTopic(kafka.bootstrapServers, topic, partitions: 1)
            try await BlockingCalls.run {
                let producer = try KafkaProducer(configuration: ProducerConfiguration(
                    kafka: Self.kafka(kafka.bootstrapServers), transactionalID: kafka.uniqueName("tx")
                ))
                try producer.initTransactions()
                try producer.beginTransaction()
                try Self.send(producer, topic, ["c1", "c2"])
                try producer.commitTransaction()
                try producer.beginTransaction()
                try Self.send(producer, topic, ["a1", "a2"])
                try producer.flush()
                try producer.abortTransaction()
                try producer.beginTransaction()
                try Self.send(producer, topic, ["c3"])
                try producer.commitTransaction()
                try producer.close()
            }
            #expect(try await Self.readAll(kafka.bootstrapServers, topic: topic, isolation: .readCommitted, expecting: 3) == ["c1", "c2", "c3"])
            #expect(try await Self.readAll(kafka.bootstrapServers, topic: topic, isolation: .readUncommitted, expecting: 5) == ["c1", "c2", "a1", "a2", "c3"])
        }
    }

    @Test func zombieProducerIsFencedByItsSuccessor() async throws {
        try await TestKafka.with { kafka in
            let topic = kafka.uniqueName("zombie")
            let id = kafka.uniqueName("tx")
            try await Self.createTopic(kafka.bootstrapServers, topic, partitions: 1)
            let fenced = try await BlockingCalls.run { () throws -> KafkaError? in
                let config = ProducerConfiguration(kafka: Self.kafka(kafka.bootstrapServers), transactionalID: id)
                let zombie = try KafkaProducer(configuration: config)
                try zombie.initTransactions()
                try zombie.beginTransaction()
                try Self.send(zombie, topic, ["from-zombie"])
                try zombie.flush()
                let successor = try KafkaProducer(configuration: config)
                try successor.initTransactions()
                try successor.beginTransaction()
                try Self.send(successor, topic, ["from-successor"])
                try successor.commitTransaction()
                try successor.close()
                do {
                    try Self.send(zombie, topic, ["late"])
                    try zombie.commitTransaction()
                    return nil
                } catch let error as KafkaError {
                    return error
                }
            }
            let error = try #require(fenced)
            #expect(error.isFatal)
            #expect(try await Self.readAll(kafka.bootstrapServers, topic: topic, isolation: .readCommitted, expecting: 1) == ["from-successor"])
        }
    }

    @Test func transactionalOffsetsAppearAfterCommitAndNotAfterAbort() async throws {
        try await TestKafka.with { kafka in
            let input = kafka.uniqueName("in")
            let output = kafka.uniqueName("out")
            let group = kafka.uniqueName("g")
            try await Self.createTopic(kafka.bootstrapServers, input, partitions: 1)
            try await Self.createTopic(kafka.bootstrapServers, output, partitions: 1)
            try await BlockingCalls.run {
                let p = try KafkaProducer(configuration: ProducerConfiguration(kafka: Self.kafka(kafka.bootstrapServers)))
                try Self.send(p, input, (0..<10).map { "in-\($0)" })
                try p.flush()
                try p.close()
            }
            let consumer = try Self.consumer(kafka.bootstrapServers, group: group)
            try consumer.subscribe(topics: [input])
            #expect(try await Self.values(consumer, count: 10).count == 10)
            let tp = TopicPartition(input, 0)
            let committed = try await BlockingCalls.run {
                let producer = try KafkaProducer(configuration: ProducerConfiguration(
                    kafka: Self.kafka(kafka.bootstrapServers), transactionalID: kafka.uniqueName("tx")
                ))
                try producer.initTransactions()
                try producer.beginTransaction()
                try Self.send(producer, output, ["out-a"])
                try producer.sendOffsetsToTransaction([PartitionOffset(tp, offset: 5, metadata: "checkpoint-5")], group: consumer.groupMetadata())
                try producer.commitTransaction()
                let afterCommit = try consumer.committed([tp])[tp]
                try producer.beginTransaction()
                try Self.send(producer, output, ["out-b"])
                try producer.sendOffsetsToTransaction([PartitionOffset(tp, offset: 10, metadata: "checkpoint-10")], group: consumer.groupMetadata())
                try producer.abortTransaction()
                let afterAbort = try consumer.committed([tp])[tp]
                try producer.close()
                return (afterCommit, afterAbort)
            }
            #expect(committed.0?.offset == 5)
            #expect(committed.0?.metadata == "checkpoint-5")
            #expect(committed.1?.offset == 5)
            #expect(committed.1?.metadata == "checkpoint-5")
            try consumer.close()
        }
    }

    /// `committedOrHeld` answers per partition at once: a partition whose offsets an open
    /// transaction holds is reported held, the others are read, where the consumer's read
    /// waits for all of them.
    @Test func aReadThatDoesNotWaitTellsHeldOffsetsFromFreeOnes() async throws {
        try await TestKafka.with { kafka in
            let input = kafka.uniqueName("in")
            let group = kafka.uniqueName("g")
            try await Self.createTopic(kafka.bootstrapServers, input, partitions: 3)
            let (free, held, never) = (TopicPartition(input, 0), TopicPartition(input, 1), TopicPartition(input, 2))
            let consumer = try Self.consumer(kafka.bootstrapServers, group: group)
            try consumer.subscribe(topics: [input])
            _ = try await Self.values(consumer, count: 1, timeout: .seconds(3))
            let (read, consumerRead) = try await BlockingCalls.run {
                try consumer.commit([PartitionOffset(free, offset: 4, metadata: "checkpoint-4"), PartitionOffset(held, offset: 2, metadata: "checkpoint-2")])
                let producer = try KafkaProducer(configuration: ProducerConfiguration(
                    kafka: Self.kafka(kafka.bootstrapServers), transactionalID: kafka.uniqueName("tx")
                ))
                defer { try? producer.close() }
                try producer.initTransactions()
                try producer.beginTransaction()
                try producer.sendOffsetsToTransaction([PartitionOffset(held, offset: 9, metadata: "checkpoint-9")], group: consumer.groupMetadata())
                let started = ContinuousClock.now
                let read = try consumer.committedOrHeld([free, held, never], timeout: .seconds(5))
                #expect(ContinuousClock.now - started < .seconds(2), "the admin read waited for the held partition")
                let consumerRead = Result { () throws(KafkaError) in try consumer.committed([free, held], timeout: .seconds(1)) }
                try producer.abortTransaction()
                return (read, consumerRead)
            }
            #expect(read == GroupOffsets(committed: [free: PartitionOffset(free, offset: 4, metadata: "checkpoint-4")], held: [held]))
            guard case .failure = consumerRead else {
                Issue.record("the consumer's stable read did not wait for the held partition: \(consumerRead)")
                return
            }
            let afterAbort = try await BlockingCalls.run { try consumer.committedOrHeld([free, held]) }
            #expect(afterAbort == GroupOffsets(committed: [
                free: PartitionOffset(free, offset: 4, metadata: "checkpoint-4"), held: PartitionOffset(held, offset: 2, metadata: "checkpoint-2"),
            ]))
            try consumer.close()
        }
    }

    @Test func committedMetadataRoundTrips() async throws {
        try await TestKafka.with { kafka in
            let topic = kafka.uniqueName("meta")
            try await Self.createTopic(kafka.bootstrapServers, topic, partitions: 1)
            let group = kafka.uniqueName("g")
            let tp = TopicPartition(topic, 0)
            let consumer = try Self.consumer(kafka.bootstrapServers, group: group)
            try consumer.subscribe(topics: [topic])
            _ = try await Self.values(consumer, count: 1, timeout: .seconds(3))
            let metadata = "{\"checkpoint\":\"app-7\",\"ü\":1}"
            let read = try await BlockingCalls.run {
                try consumer.commit([PartitionOffset(tp, offset: 0, metadata: metadata)])
                return try consumer.committed([tp])[tp]
            }
            #expect(read?.offset == 0)
            #expect(read?.metadata == metadata)
            try consumer.close()
        }
    }

    @Test func transactionThatOutlivesItsTimeoutIsAborted() async throws {
        try await TestKafka.with { kafka in
            let topic = kafka.uniqueName("timeout")
            try await Self.createTopic(kafka.bootstrapServers, topic, partitions: 1)
            let outcome = try await BlockingCalls.run { () throws -> KafkaError? in
                let producer = try KafkaProducer(configuration: ProducerConfiguration(
                    kafka: Self.kafka(kafka.bootstrapServers), transactionalID: kafka.uniqueName("tx"),
                    transactionTimeout: .seconds(3)
                ))
                try producer.initTransactions()
                try producer.beginTransaction()
                try Self.send(producer, topic, ["too-slow"])
                try producer.flush()
                Thread.sleep(forTimeInterval: 4.5)
                do {
                    try producer.commitTransaction()
                    return nil
                } catch let error as KafkaError {
                    return error
                }
            }
            #expect(outcome != nil)
            #expect(try await Self.readAll(kafka.bootstrapServers, topic: topic, isolation: .readCommitted, expecting: 0).isEmpty)
            #expect(try await Self.readAll(kafka.bootstrapServers, topic: topic, isolation: .readUncommitted, expecting: 1) == ["too-slow"])
        }
    }

    /// A transactional producer that gave up on a write whose fate it cannot know (its message
    /// timeout passed while the broker held the answer) must reset its sequence numbers: its
    /// abort asks the broker to bump its epoch (InitProducerId v3, KIP-360), and it goes on.
    /// Without the bump librdkafka fails the producer fatally ("InitProducerId (KIP-360) not
    /// supported by broker"): the broker restart test saw a processor stop so after an abort.
    @Test(.enabled(if: TestKafka.externalBootstrap == nil, "holds the in-process broker's answers"))
    func aProducerThatGaveUpOnAWriteAbortsWithAnEpochBumpAndGoesOn() async throws {
        try await TestKafka.with { kafka in
            let broker = try #require(kafka.broker)
            let topic = kafka.uniqueName("bump")
            try await Self.createTopic(kafka.bootstrapServers, topic, partitions: 1)
            let (gaveUp, aborted) = try await BlockingCalls.run { () throws -> (KafkaError?, KafkaError?) in
                var configuration = Self.kafka(kafka.bootstrapServers)
                configuration.properties["message.timeout.ms"] = "1500"
                let producer = try KafkaProducer(configuration: ProducerConfiguration(
                    kafka: configuration, transactionalID: kafka.uniqueName("tx"), transactionTimeout: .seconds(20)
                ))
                try producer.initTransactions()
                try producer.beginTransaction()
                broker.holdProduceAnswers(count: 1, for: .seconds(4))
                try Self.send(producer, topic, ["given-up"])
                var gaveUp: KafkaError?
                do throws(KafkaError) { try producer.flush() } catch { gaveUp = error }
                var aborted: KafkaError?
                do throws(KafkaError) { try producer.abortTransaction() } catch { aborted = error }
                guard aborted == nil else { return (gaveUp, aborted) }
                try producer.beginTransaction()
                try Self.send(producer, topic, ["kept"])
                try producer.commitTransaction()
                try producer.close()
                return (gaveUp, nil)
            }
            #expect(gaveUp?.code == .deliveryFailed, "the write was not given up: the test did not test the bump")
            #expect(aborted == nil, "the abort failed: \(aborted.map { "\($0)" } ?? "")")
            #expect(try await Self.readAll(kafka.bootstrapServers, topic: topic, isolation: .readCommitted, expecting: 1) == ["kept"])
        }
    }

    @Test(.enabled(if: TestKafka.externalBootstrap == nil, "restarts the in-process broker"))
    func restartWithDataDirectoryKeepsRecordsOffsetsAndMetadata() async throws {
        let dir = try TestKafka.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let topic = "restart-topic"
        let group = "restart-group"
        let tp = TopicPartition(topic, 0)
        let first = try await TestKafka.startBroker(DevBrokerConfiguration(port: 0, dataDirectory: dir))
        do {
            try await Self.createTopic(first.bootstrapServers, topic, partitions: 1)
            try await BlockingCalls.run {
                let p = try KafkaProducer(configuration: ProducerConfiguration(kafka: Self.kafka(first.bootstrapServers)))
                try Self.send(p, topic, ["r1", "r2", "r3"])
                try p.flush()
                try p.close()
            }
            let c = try Self.consumer(first.bootstrapServers, group: group)
            try c.subscribe(topics: [topic])
            _ = try await Self.values(c, count: 3)
            try await BlockingCalls.run { try c.commit([PartitionOffset(tp, offset: 2, metadata: "before-restart")]) }
            try c.close()
        }
        await first.stop()

        let second = try await TestKafka.startBroker(DevBrokerConfiguration(port: 0, dataDirectory: dir))
        do {
            #expect(try await Self.readAll(second.bootstrapServers, topic: topic, isolation: .readCommitted, expecting: 3) == ["r1", "r2", "r3"])
            let c = try Self.consumer(second.bootstrapServers, group: group)
            let committed = try await BlockingCalls.run { try c.committed([tp])[tp] }
            #expect(committed?.offset == 2)
            #expect(committed?.metadata == "before-restart")
            try c.subscribe(topics: [topic])
            #expect(try await Self.values(c, count: 1) == ["r3"])
            try c.close()
        }
        await second.stop()
    }
}
