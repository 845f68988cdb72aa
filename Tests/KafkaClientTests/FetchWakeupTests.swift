import KafkaClient
import Testing

/// librdkafka stops fetching while its fetch-ahead queue is full and, left alone, looks again
/// only about once a second. ``KafkaConsumer`` wakes the fetcher when the queue runs low.
@Suite struct FetchWakeupTests {
    /// 4,000 records through a 100-record queue. Left to librdkafka's own wake-up (checked by
    /// hand with `fetchWakeupInterval: nil`), reading them took 3.0 s against the mock cluster:
    /// three waits of a second on a full queue. Woken, it took 0.015 s.
    @Test func aTopicFarLargerThanTheFetchAheadQueueIsReadWithoutASecondPerRefill() async throws {
        let cluster = try MockCluster()
        let topic = uniqueTopic()
        cluster.createTopic(topic, partitions: 1)
        let count = 4_000
        let (received, took) = try await BlockingCalls.run {
            // Small batches and small fetches, so that the queue fills one small fetch at a time.
            var producerKafka = cluster.kafka
            producerKafka.properties["batch.num.messages"] = "20"
            let producer = try KafkaProducer(configuration: ProducerConfiguration(kafka: producerKafka))
            for index in 0..<count {
                try producer.send(ProducerRecord(topic: topic, partition: 0, key: nil, value: Array("record \(index)".utf8)))
            }
            try producer.flush()
            try producer.close()

            var consumerKafka = cluster.kafka
            consumerKafka.properties["max.partition.fetch.bytes"] = "2048"
            let consumer = try KafkaConsumer(configuration: ConsumerConfiguration(
                kafka: consumerKafka, groupID: uniqueTopic("g"), queuedMinMessages: 100))
            try consumer.subscribe(topics: [topic])
            defer { try? consumer.close() }
            // The clock starts at the first record: joining the group is not what is measured.
            var records = try consume(consumer, count: 1)
            let started = ContinuousClock.now
            records += try consume(consumer, count: count - 1, timeout: .seconds(60))
            return (records, ContinuousClock.now - started)
        }
        #expect(received.count == count)
        #expect(received.map(\.offset) == (0..<Int64(count)).map { $0 })
        // A hundred times what it takes, and half of what one-second waits cost.
        #expect(took < .milliseconds(1_500), "reading \(count) records took \(took)")
    }
}
