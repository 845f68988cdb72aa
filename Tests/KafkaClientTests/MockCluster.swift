import CRdKafka
import KafkaClient

/// librdkafka's built-in mock cluster, for API flows and error injection.
///
/// - Important: The mock accepts transactional requests but does not honour them: aborted
///   records stay visible to `read_committed` readers and transactional offset commits are
///   dropped. No test here claims exactly-once; that is proven against the development broker.
final class MockCluster: @unchecked Sendable {
    // @unchecked: both pointers are immutable; the mock cluster API is thread-safe.
    private let handle: OpaquePointer
    private let cluster: OpaquePointer
    /// The `host:port` list clients bootstrap from.
    let bootstrapServers: String

    init(brokers: Int32 = 1) throws {
        let conf = rd_kafka_conf_new()!
        var errorText = [CChar](repeating: 0, count: 256)
        guard let handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(conf)
            throw KafkaError(.clientCreation, "mock cluster host handle")
        }
        guard let cluster = rd_kafka_mock_cluster_new(handle, brokers) else {
            rd_kafka_destroy(handle)
            throw KafkaError(.clientCreation, "mock cluster")
        }
        self.handle = handle
        self.cluster = cluster
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
    }

    deinit {
        rd_kafka_mock_cluster_destroy(cluster)
        rd_kafka_destroy(handle)
    }

    func createTopic(_ name: String, partitions: Int32) {
        let result = rd_kafka_mock_topic_create(cluster, name, partitions, 1)
        precondition(result == RD_KAFKA_RESP_ERR_NO_ERROR, "mock topic \(name): \(result)")
    }

    /// Makes the next `errors.count` requests of `apiKey` fail with these errors, in order.
    func pushRequestErrors(apiKey: Int16, _ errors: [rd_kafka_resp_err_t]) {
        errors.withUnsafeBufferPointer { buffer in
            rd_kafka_mock_push_request_errors_array(cluster, apiKey, buffer.count, buffer.baseAddress)
        }
    }

    /// Makes broker `broker`'s next `apiKey` request succeed only after `delay`.
    func delayNextRequest(apiKey: Int16, by delay: Duration, broker: Int32 = 1) {
        let milliseconds = Int32(delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000)
        let result = exactly_mock_delay_next_request(cluster, broker, apiKey, milliseconds)
        precondition(result == RD_KAFKA_RESP_ERR_NO_ERROR, "mock delay: \(result)")
    }

    var kafka: KafkaConfiguration {
        KafkaConfiguration(bootstrapServers: [bootstrapServers])
    }
}

/// Kafka API keys used for error injection.
enum ApiKey {
    static let produce: Int16 = 0
    static let listOffsets: Int16 = 2
    static let offsetCommit: Int16 = 8
    static let offsetFetch: Int16 = 9
    static let syncGroup: Int16 = 14
    static let initProducerId: Int16 = 22
    static let addPartitionsToTxn: Int16 = 24
    static let addOffsetsToTxn: Int16 = 25
    static let endTxn: Int16 = 26
    static let txnOffsetCommit: Int16 = 28
}

/// A topic name no other test uses.
func uniqueTopic(_ prefix: String = "t") -> String {
    "\(prefix)-\(UInt32.random(in: 0...UInt32.max))"
}

/// Polls `consumer` until `count` records arrived or `timeout` passed.
func consume(_ consumer: KafkaConsumer, count: Int, timeout: Duration = .seconds(20)) throws -> [ConsumedRecord] {
    var records: [ConsumedRecord] = []
    let deadline = ContinuousClock.now + timeout
    while records.count < count, ContinuousClock.now < deadline {
        records += try consumer.poll(maxRecords: count - records.count, timeout: .milliseconds(100))
    }
    return records
}
