import CRdKafka
import KafkaClient
import Testing

/// `KafkaConsumer.committedOrHeld` on librdkafka's mock cluster (its answers per partition,
/// held or read, are checked against the development broker in DevBrokerTests).
@Suite struct CommittedOrHeldTests {
    /// The group coordinator moved (a broker restart, say) while partitions wait for their
    /// offsets: the answer is NOT_COORDINATOR. The read fails retriably and a later one
    /// succeeds. On an admin client's handle the same answer crashes the process (librdkafka
    /// issue #5040: it asks a consumer group the handle does not have to look the coordinator
    /// up again), which is why the read is the consumer's.
    @Test func aNotCoordinatorAnswerFailsRetriablyAndTheNextReadSucceeds() throws {
        let cluster = try MockCluster()
        let topic = uniqueTopic()
        cluster.createTopic(topic, partitions: 2)
        let consumer = try KafkaConsumer(configuration: ConsumerConfiguration(kafka: cluster.kafka, groupID: uniqueTopic("g")))
        defer { try? consumer.close() }
        let partitions = [TopicPartition(topic, 0), TopicPartition(topic, 1)]
        try consumer.commit([PartitionOffset(partitions[0], offset: 3, metadata: "checkpoint-3")])
        cluster.pushRequestErrors(apiKey: ApiKey.offsetFetch, [RD_KAFKA_RESP_ERR_NOT_COORDINATOR])
        do {
            let read = try consumer.committedOrHeld(partitions, timeout: .seconds(5))
            Issue.record("a NOT_COORDINATOR answer read as \(read)")
        } catch {
            #expect(error.isRetriable, "\(error)")
            #expect(error.rdKafkaName == "NOT_COORDINATOR", "\(error)")
        }
        let read = try consumer.committedOrHeld(partitions, timeout: .seconds(5))
        #expect(read == GroupOffsets(committed: [partitions[0]: PartitionOffset(partitions[0], offset: 3, metadata: "checkpoint-3")]))
    }
}
