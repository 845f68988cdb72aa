import CRdKafka

/// Deleting the oldest records of partitions (Kafka's DeleteRecords), as retention would.
extension KafkaAdmin {
    /// The offset for ``deleteRecords(_:timeout:)`` that means "every record the partition has
    /// now": its high watermark.
    public static let upToHighWatermark = Int64(RD_KAFKA_OFFSET_END)

    /// Deletes, in each partition, every record below the given offset: they can no longer be
    /// read, and the partition's log start (its low watermark) moves up to that offset. It never
    /// moves back: an offset below the current log start changes nothing. *Blocking* up to
    /// `timeout`.
    ///
    /// - Parameter offsets: one per partition; an offset from 0 up to the partition's high
    ///   watermark, or ``upToHighWatermark``. Their metadata is not used.
    /// - Returns: each partition's low watermark after the deletion.
    /// - Throws: when a partition is named twice; when the cluster does not answer in time;
    ///   and, naming the partition, when one partition's deletion failed (it does not exist, or
    ///   the offset is beyond its high watermark). The other partitions' deletions may have been
    ///   made then.
    public func deleteRecords(_ offsets: [PartitionOffset], timeout: Duration = .seconds(30)) throws(KafkaError) -> [TopicPartition: Int64] {
        var requested: [TopicPartition: Int64] = [:]
        for entry in offsets {
            guard requested.updateValue(entry.offset, forKey: entry.topicPartition) == nil else {
                throw KafkaError(.invalidConfiguration, "cannot delete records: `offsets` names \(entry.topicPartition) more than once; give each partition one offset")
            }
        }
        // librdkafka refuses an empty request rather than doing nothing.
        guard !offsets.isEmpty else { return [:] }
        let operation = "delete the records below \(offsets.map { "\($0.topicPartition)@\($0.offset)" })"
        return try NativePartitionList.withNativeList(
            offsets.map { ($0.topicPartition, offset: $0.offset, metadata: nil) }
        ) { (list) throws(KafkaError) in
            // A copy of `list`, owned here.
            guard let request = rd_kafka_DeleteRecords_new(list) else {
                throw KafkaError(.invalidConfiguration, "\(operation): librdkafka refused the request")
            }
            defer { rd_kafka_DeleteRecords_destroy(request) }
            var requests: [OpaquePointer?] = [request]
            return try handle.withAdminResult(
                operation,
                expecting: RD_KAFKA_EVENT_DELETERECORDS_RESULT,
                timeout: timeout,
                kind: RD_KAFKA_ADMIN_OP_DELETERECORDS,
                start: { options, queue in rd_kafka_DeleteRecords(handle.pointer, &requests, 1, options, queue) }
            ) { (event) throws(KafkaError) in
                // Owned by the event.
                guard let answers = rd_kafka_DeleteRecords_result_offsets(rd_kafka_event_DeleteRecords_result(event)) else {
                    throw KafkaError(.broker, "\(operation): the result named no partition")
                }
                var lowWatermarks: [TopicPartition: Int64] = [:]
                for answer in NativePartitionList.elements(of: answers) {
                    if let error = Self.deletionError(answer.error, answer.topicPartition, below: requested[answer.topicPartition]) {
                        throw error
                    }
                    lowWatermarks[answer.topicPartition] = answer.offset
                }
                return lowWatermarks
            }
        }
    }

    /// One partition's failure, naming the partition and its offset; for an offset out of
    /// range, also what is allowed.
    private static func deletionError(_ code: rd_kafka_resp_err_t, _ partition: TopicPartition, below offset: Int64?) -> KafkaError? {
        let what = "delete the records of \(partition) below offset \(offset.map(String.init) ?? "?")"
        guard let error = KafkaError.from(code, while: what) else { return nil }
        guard code == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE else { return error }
        return KafkaError(
            error.code,
            "\(error.message); the offset must be from 0 up to the partition's high watermark, or KafkaAdmin.upToHighWatermark (\(upToHighWatermark)) for all its records",
            rdKafkaCode: error.rdKafkaCode,
            isRetriable: error.isRetriable
        )
    }
}
