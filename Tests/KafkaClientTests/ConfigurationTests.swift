import KafkaClient
import Testing

@Suite struct ConfigurationTests {
    @Test func unknownPropertyFailsNamingTheKey() throws {
        var kafka = KafkaConfiguration(bootstrapServers: ["127.0.0.1:1"])
        kafka.properties["no.such.property"] = "1"
        let error = #expect(throws: KafkaError.self) {
            _ = try KafkaProducer(configuration: ProducerConfiguration(kafka: kafka))
        }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains("`no.such.property`") == true)
        #expect(error?.message.contains("No such configuration property") == true)
    }

    @Test func invalidValueFailsNamingKeyAndValue() throws {
        var kafka = KafkaConfiguration(bootstrapServers: ["127.0.0.1:1"])
        kafka.properties["linger.ms"] = "soon"
        let error = #expect(throws: KafkaError.self) {
            _ = try KafkaProducer(configuration: ProducerConfiguration(kafka: kafka))
        }
        #expect(error?.message.contains("`linger.ms` = `soon`") == true)
    }

    @Test(arguments: [Duration.zero, .milliseconds(-5), .microseconds(500)])
    func aFetchWakeupIntervalUnderOneMillisecondIsRefused(_ interval: Duration) {
        var configuration = ConsumerConfiguration(kafka: KafkaConfiguration(bootstrapServers: ["127.0.0.1:1"]), groupID: "g")
        configuration.fetchWakeupInterval = interval
        let error = #expect(throws: KafkaError.self) { _ = try KafkaConsumer(configuration: configuration) }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains("`fetchWakeupInterval` = `\(interval)` is not allowed: at least 1 ms") == true)
    }

    @Test func secretValuesAreNotRepeatedInErrors() throws {
        var kafka = KafkaConfiguration(bootstrapServers: ["127.0.0.1:1"])
        kafka.properties["sasl.password"] = "hunter2"
        kafka.properties["sasl.mechanism"] = "NOT-A-MECHANISM"
        kafka.properties["no.such.password"] = "hunter2"
        let error = #expect(throws: KafkaError.self) {
            _ = try KafkaConsumer(configuration: ConsumerConfiguration(kafka: kafka, groupID: "g"))
        }
        #expect(error?.message.contains("hunter2") == false)
    }

    @Test func consumerDefaultsSuitExactlyOnce() {
        let configuration = ConsumerConfiguration(kafka: KafkaConfiguration(bootstrapServers: ["h:1"]), groupID: "g")
        let properties = Dictionary(configuration.librdkafkaProperties, uniquingKeysWith: { _, last in last })
        #expect(properties["isolation.level"] == "read_committed")
        #expect(properties["enable.auto.commit"] == "false")
        #expect(properties["partition.assignment.strategy"] == "cooperative-sticky")
        // More than a second of processing fetched ahead (librdkafka < 2.1 re-checks a full
        // queue only about once a second).
        #expect(properties["queued.min.messages"] == "500000")
        #expect(properties["queued.max.messages.kbytes"] == "131072")
    }

    @Test func producerDefaultsToJavaCompatiblePartitioning() {
        let configuration = ProducerConfiguration(kafka: KafkaConfiguration(bootstrapServers: ["h:1"]), transactionalID: "app-0")
        let properties = Dictionary(configuration.librdkafkaProperties, uniquingKeysWith: { _, last in last })
        #expect(properties["partitioner"] == "murmur2_random")
        #expect(properties["transactional.id"] == "app-0")
        #expect(properties["enable.idempotence"] == "true")
        // A produce queue deep enough not to make the sender wait at 500k records/s.
        #expect(properties["queue.buffering.max.messages"] == "1000000")
        #expect(properties["queue.buffering.max.kbytes"] == "262144")
    }

    @Test func passThroughPropertiesOverrideTypedFields() {
        var kafka = KafkaConfiguration(bootstrapServers: ["h:1"])
        kafka.properties["isolation.level"] = "read_uncommitted"
        let configuration = ConsumerConfiguration(kafka: kafka, groupID: "g")
        let last = configuration.librdkafkaProperties.last { $0.0 == "isolation.level" }
        #expect(last?.1 == "read_uncommitted")
    }
}
