// The KafkaClient module: the only Swift code that calls librdkafka.
import CRdKafka

/// The version of the librdkafka library this process runs with, e.g. `2.0.2`.
public var librdkafkaVersion: String {
    String(cString: rd_kafka_version_str())
}
