import CRdKafka

/// librdkafka's admin API on any client: one request on a private result queue.
extension KafkaHandle {
    /// Starts an admin request on a private queue, waits for its result event of type
    /// `expected` and hands it to `body`. Frees the queue, options and event on every path.
    func withAdminResult<Result>(
        _ operation: String,
        expecting expected: Int32,
        timeout: Duration,
        kind: rd_kafka_admin_op_t = RD_KAFKA_ADMIN_OP_ANY,
        configure: (OpaquePointer?) throws(KafkaError) -> Void = { _ in },
        start: (OpaquePointer?, OpaquePointer?) -> Void,
        _ body: (OpaquePointer) throws(KafkaError) -> Result
    ) throws(KafkaError) -> Result {
        guard let queue = rd_kafka_queue_new(pointer) else {
            throw KafkaError(.clientCreation, "\(operation): could not create a result queue")
        }
        defer { rd_kafka_queue_destroy(queue) }
        let options = rd_kafka_AdminOptions_new(pointer, kind)
        defer { rd_kafka_AdminOptions_destroy(options) }
        var errorText = [CChar](repeating: 0, count: 512)
        _ = rd_kafka_AdminOptions_set_operation_timeout(options, timeout.timeoutMilliseconds, &errorText, errorText.count)
        _ = rd_kafka_AdminOptions_set_request_timeout(options, timeout.timeoutMilliseconds, &errorText, errorText.count)
        try configure(options)
        start(options, queue)
        guard let event = rd_kafka_queue_poll(queue, timeout.timeoutMilliseconds + 1000) else {
            throw KafkaError(.timedOut, "\(operation) got no answer within \(timeout)", isRetriable: true)
        }
        defer { rd_kafka_event_destroy(event) }
        if let error = KafkaError.from(rd_kafka_event_error(event), while: operation) {
            throw error
        }
        guard rd_kafka_event_type(event) == expected else {
            throw KafkaError(.broker, "\(operation): unexpected result event \(String(cString: rd_kafka_event_name(event)))")
        }
        return try body(event)
    }

    /// The committed offsets of `group` for `partitions`, read stably, answered per partition
    /// at once (ListConsumerGroupOffsets with `require_stable`, which librdkafka does not
    /// retry). Callers: ``KafkaConsumer/committedOrHeld(_:timeout:)``, which says why it must
    /// be a consumer's handle.
    func committedOrHeld(of group: String, for partitions: [TopicPartition], timeout: Duration) throws(KafkaError) -> GroupOffsets {
        let operation = "read the committed offsets of group `\(group)`"
        return try NativePartitionList.withNativeList(partitions: partitions) { (list) throws(KafkaError) in
            guard let request = rd_kafka_ListConsumerGroupOffsets_new(group, list) else {
                throw KafkaError(.invalidConfiguration, "\(operation): librdkafka refused the request")
            }
            defer { rd_kafka_ListConsumerGroupOffsets_destroy(request) }
            var requests: [OpaquePointer?] = [request]
            return try withAdminResult(
                operation,
                expecting: RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT,
                timeout: timeout,
                kind: RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS,
                configure: { (options) throws(KafkaError) in
                    if let error = KafkaError.consuming(rd_kafka_AdminOptions_set_require_stable_offsets(options, 1), while: "\(operation): require stable offsets") {
                        throw error
                    }
                },
                start: { options, queue in rd_kafka_ListConsumerGroupOffsets(pointer, &requests, 1, options, queue) }
            ) { (event) throws(KafkaError) in
                var count = 0
                guard let groups = rd_kafka_ListConsumerGroupOffsets_result_groups(rd_kafka_event_ListConsumerGroupOffsets_result(event), &count),
                    count == 1, let answer = groups[0]
                else {
                    throw KafkaError(.broker, "\(operation): no answer for the group")
                }
                if let error = rd_kafka_group_result_error(answer) {
                    throw KafkaError.describing(error, while: operation)  // owned by the event
                }
                var result = GroupOffsets()
                for element in NativePartitionList.elements(of: rd_kafka_group_result_partitions(answer)) {
                    switch element.error {
                    case RD_KAFKA_RESP_ERR_NO_ERROR:
                        if element.offset >= 0 {
                            result.committed[element.topicPartition] = PartitionOffset(element.topicPartition, offset: element.offset, metadata: element.metadata)
                        }
                    case RD_KAFKA_RESP_ERR_UNSTABLE_OFFSET_COMMIT:
                        result.held.insert(element.topicPartition)
                    default:
                        throw KafkaError.from(element.error, while: "\(operation): \(element.topicPartition)")!
                    }
                }
                return result
            }
        }
    }
}
