import CRdKafka
import KafkaClient
import Testing

/// Transaction API flows and error classification against librdkafka's mock cluster.
///
/// The mock does not honour transactions (aborted records stay visible, transactional offset
/// commits are dropped), so these tests check the API and the errors, never exactly-once.
@Suite struct TransactionTests {
    private func transactionalProducer(_ cluster: MockCluster, id: String) throws -> KafkaProducer {
        var kafka = cluster.kafka
        kafka.properties["transaction.timeout.ms"] = "10000"
        return try KafkaProducer(configuration: ProducerConfiguration(kafka: kafka, transactionalID: id, transactionTimeout: .seconds(10)))
    }

    /// A new transactional producer whose open transaction already holds one record for `topic`.
    private func producerWithOpenTransaction(
        _ cluster: MockCluster, topic: String, key: [UInt8]? = nil, value: [UInt8] = [1]
    ) throws -> KafkaProducer {
        let producer = try transactionalProducer(cluster, id: uniqueTopic("tx"))
        try producer.initTransactions()
        try producer.beginTransaction()
        try producer.send(ProducerRecord(topic: topic, key: key, value: value))
        return producer
    }

    @Test func fullTransactionWithOffsetsCommits() async throws {
        let cluster = try MockCluster()
        let topic = uniqueTopic()
        cluster.createTopic(topic, partitions: 2)
        try await BlockingCalls.run {
            let consumer = try KafkaConsumer(configuration: ConsumerConfiguration(kafka: cluster.kafka, groupID: uniqueTopic("g")))
            defer { try? consumer.close() }
            let producer = try self.producerWithOpenTransaction(cluster, topic: topic, key: [1], value: [2])
            try producer.sendOffsetsToTransaction(
                [PartitionOffset(TopicPartition(topic, 0), offset: 5, metadata: "app-0-1")],
                group: try consumer.groupMetadata()
            )
            try producer.commitTransaction()
            #expect(producer.deliveredCount == 1)
        }
    }

    @Test func fencedCommitIsFatal() async throws {
        let cluster = try MockCluster()
        let topic = uniqueTopic()
        cluster.createTopic(topic, partitions: 1)
        let error = try await BlockingCalls.run { () -> KafkaError? in
            let producer = try self.producerWithOpenTransaction(cluster, topic: topic)
            try producer.flush()
            cluster.pushRequestErrors(apiKey: ApiKey.endTxn, [RD_KAFKA_RESP_ERR_PRODUCER_FENCED])
            do {
                try producer.commitTransaction()
                return nil
            } catch {
                return error as? KafkaError
            }
        }
        let fenced = try #require(error)
        #expect(fenced.isFatal)
        #expect(!fenced.isRetriable)
    }

    @Test func notCoordinatorIsRecoveredByTheClient() async throws {
        let cluster = try MockCluster()
        let topic = uniqueTopic()
        cluster.createTopic(topic, partitions: 1)
        try await BlockingCalls.run {
            let producer = try self.producerWithOpenTransaction(cluster, topic: topic)
            cluster.pushRequestErrors(apiKey: ApiKey.endTxn, [RD_KAFKA_RESP_ERR_NOT_COORDINATOR, RD_KAFKA_RESP_ERR_NOT_COORDINATOR])
            // librdkafka refreshes the coordinator and retries: the commit succeeds.
            try producer.commitTransaction()
        }
    }

    @Test func rejectedOffsetCommitRequiresAbortThenTheProducerGoesOn() async throws {
        let cluster = try MockCluster()
        let topic = uniqueTopic()
        cluster.createTopic(topic, partitions: 1)
        let error = try await BlockingCalls.run { () -> KafkaError? in
            let consumer = try KafkaConsumer(configuration: ConsumerConfiguration(kafka: cluster.kafka, groupID: uniqueTopic("g")))
            defer { try? consumer.close() }
            let producer = try self.producerWithOpenTransaction(cluster, topic: topic)
            cluster.pushRequestErrors(apiKey: ApiKey.txnOffsetCommit, [RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED])
            var caught: KafkaError?
            do {
                try producer.sendOffsetsToTransaction(
                    [PartitionOffset(TopicPartition(topic, 0), offset: 1, metadata: "app-0-1")],
                    group: try consumer.groupMetadata()
                )
                try producer.commitTransaction()
            } catch {
                caught = error as? KafkaError
            }
            // After an abortable error: abort, and the next transaction works.
            try producer.abortTransaction()
            try producer.beginTransaction()
            try producer.send(ProducerRecord(topic: topic, value: [2]))
            try producer.commitTransaction()
            return caught
        }
        let abortable = try #require(error)
        #expect(abortable.requiresAbort)
        #expect(!abortable.isFatal)
    }

    @Test func sendingOutsideATransactionIsRefused() async throws {
        let cluster = try MockCluster()
        let topic = uniqueTopic()
        cluster.createTopic(topic, partitions: 1)
        let error = try await BlockingCalls.run { () -> KafkaError? in
            let producer = try self.transactionalProducer(cluster, id: uniqueTopic("tx"))
            try producer.initTransactions()
            do {
                try producer.send(ProducerRecord(topic: topic, value: [1]))
                return nil
            } catch {
                return error as? KafkaError
            }
        }
        #expect(error?.code == .broker)
        #expect(error?.rdKafkaName == "_STATE")
    }
}
