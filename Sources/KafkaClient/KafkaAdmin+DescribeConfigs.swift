import CRdKafka

/// Reading a topic's configuration (Kafka's DescribeConfigs).
extension KafkaAdmin {
    /// The configuration of topic `name` as the cluster reports it, defaults included: each
    /// entry's name and value (`nil` for a sensitive value the cluster does not show).
    /// *Blocking* up to `timeout`.
    ///
    /// - Throws: when the topic does not exist, when the cluster refuses (a principal without
    ///   the DescribeConfigs permission) or does not answer in time, naming the topic.
    public func topicConfiguration(_ name: String, timeout: Duration = .seconds(10)) throws(KafkaError) -> [String: String?] {
        let operation = "describe the configuration of topic `\(name)`"
        guard let resource = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, name) else {
            throw KafkaError(.invalidConfiguration, "\(operation): librdkafka refused the request")
        }
        defer { rd_kafka_ConfigResource_destroy(resource) }
        var resources: [OpaquePointer?] = [resource]
        return try handle.withAdminResult(
            operation,
            expecting: RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT,
            timeout: timeout,
            kind: RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS,
            start: { options, queue in rd_kafka_DescribeConfigs(handle.pointer, &resources, 1, options, queue) }
        ) { (event) throws(KafkaError) in
            // Everything below is owned by the event.
            var count = 0
            guard let answers = rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(event), &count),
                count == 1, let answer = answers[0]
            else {
                throw KafkaError(.broker, "\(operation): no answer for the topic")
            }
            let code = rd_kafka_ConfigResource_error(answer)
            if code != RD_KAFKA_RESP_ERR_NO_ERROR {
                let text = rd_kafka_ConfigResource_error_string(answer).map { String(cString: $0) } ?? ""
                throw KafkaError(
                    .broker, "\(operation) failed: \(text.isEmpty ? String(cString: rd_kafka_err2str(code)) : text)", rdKafkaCode: code.rawValue)
            }
            var entries = 0
            guard let configs = rd_kafka_ConfigResource_configs(answer, &entries) else { return [:] }
            var configuration: [String: String?] = [:]
            for index in 0..<entries {
                guard let entry = configs[index], let entryName = rd_kafka_ConfigEntry_name(entry) else { continue }
                configuration[String(cString: entryName)] = rd_kafka_ConfigEntry_value(entry).map { String(cString: $0) }
            }
            return configuration
        }
    }
}
