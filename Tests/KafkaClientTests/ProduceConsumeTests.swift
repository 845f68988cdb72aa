import ExactlyTesting
import KafkaClient
import Logging
import Synchronization
import Testing

@Suite struct ProduceConsumeTests {
    @Test func recordsRoundTripWithKeysHeadersAndTimestamps() async throws {
        let cluster = try MockCluster()
        let topic = uniqueTopic()
        cluster.createTopic(topic, partitions: 1)
        let received = try await BlockingCalls.run {
            let producer = try KafkaProducer(configuration: ProducerConfiguration(kafka: cluster.kafka))
            try producer.send(ProducerRecord(
                topic: topic, partition: 0, key: Array("k1".utf8), value: Array("v1".utf8),
                headers: [KafkaHeader("reason", text: "because"), KafkaHeader("nothing", nil)],
                timestampMilliseconds: 1_700_000_000_123
            ))
            try producer.send(ProducerRecord(topic: topic, partition: 0, key: nil, value: []))
            try producer.flush()
            #expect(producer.deliveredCount == 2)
            try producer.close()

            let consumer = try KafkaConsumer(configuration: ConsumerConfiguration(kafka: cluster.kafka, groupID: uniqueTopic("g")))
            try consumer.subscribe(topics: [topic])
            let records = try consume(consumer, count: 2)
            try consumer.close()
            return records
        }
        try #require(received.count == 2)
        #expect(received[0].key == Array("k1".utf8))
        #expect(received[0].value == Array("v1".utf8))
        #expect(received[0].headers == [KafkaHeader("reason", text: "because"), KafkaHeader("nothing", nil)])
        #expect(received[0].timestampMilliseconds == 1_700_000_000_123)
        #expect(received[0].offset == 0)
        #expect(received[1].key == nil)
        #expect(received[1].value.isEmpty)
        #expect(received[1].offset == 1)
    }

    @Test func keyedRecordsLandWhereJavaClientsPutThem() async throws {
        let cluster = try MockCluster()
        let topic = uniqueTopic()
        let partitions: Int32 = 7
        cluster.createTopic(topic, partitions: partitions)
        let keys = (0..<50).map { Array("customer-\($0)".utf8) }
        let received = try await BlockingCalls.run {
            let producer = try KafkaProducer(configuration: ProducerConfiguration(kafka: cluster.kafka))
            for key in keys {
                try producer.send(ProducerRecord(topic: topic, key: key, value: key))
            }
            try producer.flush()
            let consumer = try KafkaConsumer(configuration: ConsumerConfiguration(kafka: cluster.kafka, groupID: uniqueTopic("g")))
            try consumer.subscribe(topics: [topic])
            defer { try? consumer.close() }
            return try consume(consumer, count: keys.count)
        }
        #expect(received.count == keys.count)
        for record in received {
            let expected = JavaPartitioner.partition(forKey: record.key ?? [], partitionCount: partitions)
            #expect(record.topicPartition.partition == expected, "key \(String(decoding: record.key ?? [], as: UTF8.self))")
        }
    }

    @Test func committedOffsetsKeepTheirMetadata() async throws {
        let cluster = try MockCluster()
        let topic = uniqueTopic()
        cluster.createTopic(topic, partitions: 2)
        let group = uniqueTopic("g")
        let committed = try await BlockingCalls.run {
            let consumer = try KafkaConsumer(configuration: ConsumerConfiguration(kafka: cluster.kafka, groupID: group))
            try consumer.commit([
                PartitionOffset(TopicPartition(topic, 0), offset: 42, metadata: "checkpoint app-0-7"),
                PartitionOffset(TopicPartition(topic, 1), offset: 7, metadata: ""),
            ])
            try consumer.close()
            // A new member of the group reads what the old one committed.
            let reader = try KafkaConsumer(configuration: ConsumerConfiguration(kafka: cluster.kafka, groupID: group))
            defer { try? reader.close() }
            return try reader.committed([TopicPartition(topic, 0), TopicPartition(topic, 1)])
        }
        #expect(committed[TopicPartition(topic, 0)] == PartitionOffset(TopicPartition(topic, 0), offset: 42, metadata: "checkpoint app-0-7"))
        #expect(committed[TopicPartition(topic, 1)]?.offset == 7)
    }

    /// A producer told not to serve delivery reports while sending leaves them all to `poll`:
    /// a sender (a processing lane) then pays nothing for them.
    @Test func deliveryReportsWaitForPollWhenSendingDoesNotServeThem() async throws {
        let cluster = try MockCluster()
        let topic = uniqueTopic()
        cluster.createTopic(topic, partitions: 1)
        try await BlockingCalls.run {
            let producer = try KafkaProducer(
                configuration: ProducerConfiguration(kafka: cluster.kafka, servesDeliveryReportsWhileSending: false))
            for index in 0..<1_000 { try producer.send(ProducerRecord(topic: topic, partition: 0, value: [UInt8(index % 256)])) }
            // Once a reader has them, their reports are on the way or waiting; 256 more sends
            // must not serve them. (A serving producer serves at every 256th send of the
            // thread, counted since the thread began, so 256 sends pass one whatever the count.)
            let consumer = try KafkaConsumer(configuration: ConsumerConfiguration(kafka: cluster.kafka, groupID: uniqueTopic("g")))
            try consumer.subscribe(topics: [topic])
            _ = try consume(consumer, count: 1_000)
            try consumer.close()
            for _ in 0..<256 { try producer.send(ProducerRecord(topic: topic, partition: 0, value: [1])) }
            #expect(producer.deliveredCount == 0, "sending served delivery reports")
            let deadline = ContinuousClock.now + .seconds(10)
            while producer.deliveredCount < 1_256, ContinuousClock.now < deadline { producer.poll(timeout: .milliseconds(100)) }
            #expect(producer.deliveredCount == 1_256)
            try producer.close()
        }
    }

    @Test func undeliverableRecordsAreSurfacedNotDroppedAndLoggedOncePerKind() async throws {
        let log = CapturingLogHandler()
        let cluster = try MockCluster()
        let topic = uniqueTopic()
        cluster.createTopic(topic, partitions: 2)
        let error = try await BlockingCalls.run { () -> KafkaError? in
            var kafka = cluster.kafka
            kafka.properties["message.timeout.ms"] = "1500"
            let producer = try KafkaProducer(configuration: ProducerConfiguration(kafka: kafka), logger: Logger(label: "test") { _ in log })
            // Partition 9 does not exist: librdkafka fails the records when the timeout passes.
            for _ in 0..<50 { try producer.send(ProducerRecord(topic: topic, partition: 9, value: [1])) }
            do {
                try producer.flush(timeout: .seconds(10))
                return nil
            } catch {
                return error as? KafkaError
            }
        }
        let failure = try #require(error)
        #expect(failure.code == .deliveryFailed)
        #expect(failure.message.hasPrefix("50 record(s) were not delivered; the first: record for \(topic)[9]"), "\(failure.message)")
        // Logged once for the kind, not fifty times.
        let errors = log.messages(at: .error)
        #expect(errors.count == 1, "\(errors)")
        #expect(errors.first?.hasSuffix("(further records for \(topic) failing the same way are counted, not logged)") == true)
    }

    @Test func watermarksFollowTheLog() async throws {
        let cluster = try MockCluster()
        let topic = uniqueTopic()
        cluster.createTopic(topic, partitions: 1)
        let watermarks = try await BlockingCalls.run {
            let producer = try KafkaProducer(configuration: ProducerConfiguration(kafka: cluster.kafka))
            for value in 0..<3 { try producer.send(ProducerRecord(topic: topic, partition: 0, value: [UInt8(value)])) }
            try producer.flush()
            let consumer = try KafkaConsumer(configuration: ConsumerConfiguration(kafka: cluster.kafka, groupID: "g"))
            defer { try? consumer.close() }
            return try consumer.watermarkOffsets(TopicPartition(topic, 0))
        }
        #expect(watermarks.low == 0)
        #expect(watermarks.high == 3)
    }

    @Test func closedConsumerRefusesCalls() async throws {
        let cluster = try MockCluster()
        try await BlockingCalls.run {
            let consumer = try KafkaConsumer(configuration: ConsumerConfiguration(kafka: cluster.kafka, groupID: "g"))
            try consumer.close()
            let error = #expect(throws: KafkaError.self) { _ = try consumer.poll(maxRecords: 1, timeout: .zero) }
            #expect(error?.code == .closed)
        }
    }
}
