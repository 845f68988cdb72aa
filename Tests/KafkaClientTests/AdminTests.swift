import KafkaClient
import Testing

/// librdkafka's mock cluster answers Metadata but not CreateTopics or DeleteTopics, so topic
/// creation and deletion are tested against the development broker (DevBrokerTests).
@Suite struct AdminTests {
    @Test func describesATopicsPartitions() async throws {
        let cluster = try MockCluster(brokers: 3)
        let topic = uniqueTopic()
        cluster.createTopic(topic, partitions: 5)
        let description = try await BlockingCalls.run {
            try KafkaAdmin(configuration: cluster.kafka).describeTopic(topic)
        }
        #expect(description.name == topic)
        #expect(description.partitions.map(\.id) == [0, 1, 2, 3, 4])
        #expect(description.partitions.allSatisfy { (1...3).contains($0.leader) })
    }

    @Test func describingAnUnknownTopicNamesIt() async throws {
        let cluster = try MockCluster()
        var kafka = cluster.kafka
        kafka.properties["allow.auto.create.topics"] = "false"
        let configuration = kafka
        let error = try await BlockingCalls.run { () -> KafkaError? in
            do {
                _ = try KafkaAdmin(configuration: configuration).describeTopic("no-such-topic", timeout: .seconds(5))
                return nil
            } catch {
                return error as? KafkaError
            }
        }
        withExtendedLifetime(cluster) {}
        #expect(error?.message.contains("no-such-topic") == true)
        #expect(error?.rdKafkaName == "UNKNOWN_TOPIC_OR_PART")
    }
}
