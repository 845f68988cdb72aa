import ExactlyTesting
import KafkaClient
import Testing
@testable import DevBroker

@Suite("Topic administration")
struct AdminTests {
    @Test func createTopicsRefusesDuplicatesBadNamesAndReplication() throws {
        var state = try makeState()
        guard case .createTopics(let request) = try TestRequests.decode(.createTopics, 4, { w in
            w.arrayCount(4)
            for (name, partitions, replication) in [("ok", Int32(3), Int16(1)), ("ok", 3, 1), ("bad/name", 1, 1), ("replicated", 1, 3)] {
                w.string(name); w.int32(partitions); w.int16(replication); w.arrayCount(0); w.arrayCount(0)
            }
            w.int32(1000); w.bool(false)
        }) else { fatalError() }
        let codes = state.createTopics(request).topics.map(\.errorCode)
        #expect(codes == [.none, .topicAlreadyExists, .invalidTopic, .invalidReplicationFactor])
        #expect(state.topics["ok"]?.count == 3)
    }

    @Test func deleteTopicsRemovesTheTopicAndItsOffsets() throws {
        var state = try makeState()
        state.createTopic("gone", partitions: 1)
        _ = try state.produceOne("gone", TestBatch.make(["x"]))
        _ = state.offsetCommit(try TestRequests.offsetCommit(group: "g", topic: "gone", offset: 1, metadata: nil))
        guard case .deleteTopics(let request) = try TestRequests.decode(.deleteTopics, 3, { w in
            w.arrayCount(2); w.string("gone"); w.string("never-was"); w.int32(1000)
        }) else { fatalError() }
        #expect(state.deleteTopics(request).topics.map(\.errorCode) == [.none, .unknownTopicOrPartition])
        #expect(state.topics["gone"] == nil)
        #expect(state.offsetFetch(try TestRequests.offsetFetch(group: "g", topic: "gone", requireStable: false)).topics[0].partitions[0].offset == -1)
    }

    @Test func describeConfigsAnswersForTopicsAndTheBroker() throws {
        var state = try makeState()
        state.createTopic("t", partitions: 1)
        guard case .describeConfigs(let request) = try TestRequests.decode(.describeConfigs, 2, { w in
            w.arrayCount(3)
            w.int8(2); w.string("t"); w.arrayCount(1); w.string("cleanup.policy")
            w.int8(2); w.string("missing"); w.int32(-1)
            w.int8(4); w.string("1"); w.int32(-1)
            w.bool(false)
        }) else { fatalError() }
        let results = state.describeConfigs(request).results
        #expect(results[0].configs.map(\.name) == ["cleanup.policy"])
        #expect(results[0].configs.first?.value == "delete")
        #expect(results[1].errorCode == .unknownTopicOrPartition)
        #expect(results[2].configs.contains { $0.name == "num.partitions" && $0.value == "1" })
    }

    /// What a `--dry-run` asks of the sink: whether compaction may have removed outputs.
    @Test func kafkaAdminReadsATopicsConfigurationAndNamesAnUnknownTopic() async throws {
        try await TestKafka.with { kafka in
            let topic = kafka.uniqueName("configs")
            try await BlockingCalls.run {
                let admin = try KafkaAdmin(configuration: KafkaConfiguration(bootstrapServers: [kafka.bootstrapServers]))
                try admin.createTopic(topic, partitions: 1)
                #expect(try admin.topicConfiguration(topic)["cleanup.policy"] == "delete")
                let error = #expect(throws: KafkaError.self) { try admin.topicConfiguration("no-such-topic-\(topic)") }
                #expect(error?.message.contains("describe the configuration of topic `no-such-topic-\(topic)`") == true, "\(String(describing: error))")
            }
        }
    }

    @Test func kafkaAdminCreatesDescribesAndDeletesTopics() async throws {
        try await TestKafka.with { kafka in
            let topic = kafka.uniqueName("admin")
            try await BlockingCalls.run {
                let admin = try KafkaAdmin(configuration: KafkaConfiguration(bootstrapServers: [kafka.bootstrapServers]))
                try admin.createTopic(topic, partitions: 3)
                #expect(try admin.describeTopic(topic).partitions.map(\.id) == [0, 1, 2])
                #expect(throws: KafkaError.self) { try admin.createTopic(topic, partitions: 3) }
                try admin.createTopic(topic, partitions: 3, ifNotExists: true)
                try admin.deleteTopic(topic)
                #expect(throws: KafkaError.self) { try admin.describeTopic(topic) }
                #expect(throws: KafkaError.self) { try admin.deleteTopic(topic) }
                try admin.deleteTopic(topic, ifExists: true)
            }
        }
    }
}
