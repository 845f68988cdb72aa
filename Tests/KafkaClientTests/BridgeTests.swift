import ExactlyTesting
import KafkaClient
import Logging
import MetricsTestKit
import Synchronization
import Testing

@Suite struct BridgeTests {
    @Test func librdkafkaLogLinesReachSwiftLog() async throws {
        let handler = CapturingLogHandler()
        let logger = Logger(label: "test") { _ in handler }
        try await BlockingCalls.run {
            // Nothing listens on port 1: librdkafka logs the failed connection.
            let producer = try KafkaProducer(
                configuration: ProducerConfiguration(kafka: KafkaConfiguration(bootstrapServers: ["127.0.0.1:1"])),
                logger: logger
            )
            let deadline = ContinuousClock.now + .seconds(10)
            while handler.lines.withLock({ $0.isEmpty }), ContinuousClock.now < deadline {
                producer.poll(timeout: .milliseconds(100))
            }
        }
        let lines = handler.lines.withLock { $0 }
        let connectFailure = lines.first { $0.1.contains("127.0.0.1:1") }
        #expect(connectFailure != nil)
        #expect(connectFailure?.0 == .error)
        #expect(connectFailure?.2?["librdkafka.facility"] != nil)
    }

    @Test func statisticsReachSwiftMetrics() async throws {
        let cluster = try MockCluster()
        let topic = uniqueTopic()
        cluster.createTopic(topic, partitions: 1)
        let metrics = TestMetrics()
        var kafka = cluster.kafka
        kafka.clientID = "stats-test"
        kafka.statisticsInterval = .milliseconds(100)
        kafka.metricsFactory = metrics
        let configuration = kafka
        try await BlockingCalls.run {
            let producer = try KafkaProducer(configuration: ProducerConfiguration(kafka: configuration))
            for _ in 0..<5 { try producer.send(ProducerRecord(topic: topic, value: [1])) }
            try producer.flush()
            let deadline = ContinuousClock.now + .seconds(10)
            while ContinuousClock.now < deadline {
                producer.poll(timeout: .milliseconds(100))
                if let sent = try? metrics.expectGauge("kafka_client_txmsgs", [("client", "stats-test")]).lastValue, sent >= 5 {
                    break
                }
            }
        }
        let sent = try metrics.expectGauge("kafka_client_txmsgs", [("client", "stats-test")])
        #expect(sent.lastValue == 5)
    }
}
