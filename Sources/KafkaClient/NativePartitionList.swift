import CRdKafka

/// Conversions between Swift partition values and `rd_kafka_topic_partition_list_t`.
///
/// Every list made here is destroyed by the caller with `rd_kafka_topic_partition_list_destroy`
/// (``withNativeList(_:_:)`` does it on every path).
enum NativePartitionList {
    /// Calls `body` with a list holding `entries` (offset and metadata each optional), and
    /// destroys the list afterwards, whatever `body` does.
    static func withNativeList<T, E: Error>(
        _ entries: [(TopicPartition, offset: Int64?, metadata: String?)],
        _ body: (UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) throws(E) -> T
    ) throws(E) -> T {
        let list = rd_kafka_topic_partition_list_new(Int32(clamping: entries.count))!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for (topicPartition, offset, metadata) in entries {
            let element = rd_kafka_topic_partition_list_add(list, topicPartition.topic, topicPartition.partition)!
            if let offset { element.pointee.offset = offset }
            if let metadata, !metadata.isEmpty {
                // librdkafka frees `metadata` with the list, so it must come from its allocator's
                // counterpart: malloc (strdup).
                let bytes = Array(metadata.utf8)
                let copy = malloc(bytes.count)!
                bytes.withUnsafeBytes { copy.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
                element.pointee.metadata = copy
                element.pointee.metadata_size = bytes.count
            }
        }
        return try body(list)
    }

    /// Calls `body` with a list of `partitions` (no offsets), destroyed afterwards.
    static func withNativeList<T, E: Error>(
        partitions: [TopicPartition],
        _ body: (UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) throws(E) -> T
    ) throws(E) -> T {
        try withNativeList(partitions.map { ($0, offset: nil, metadata: nil) }, body)
    }

    /// Calls `body` with the consumer's current assignment (`rd_kafka_assignment`), destroyed
    /// afterwards; `nil` when nothing is assigned or librdkafka cannot say.
    static func withAssignment<T>(
        of consumer: OpaquePointer, _ body: (UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) -> T
    ) -> T? {
        var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        guard rd_kafka_assignment(consumer, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return nil }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        guard list.pointee.cnt > 0 else { return nil }
        return body(list)
    }

    /// The elements of `list`, read (not taken): the caller still owns the list.
    static func elements(
        of list: UnsafePointer<rd_kafka_topic_partition_list_t>?
    ) -> [(topicPartition: TopicPartition, offset: Int64, metadata: String, error: rd_kafka_resp_err_t)] {
        guard let list, let elements = list.pointee.elems else { return [] }
        return (0..<Int(list.pointee.cnt)).map { index in
            let element = elements[index]
            var metadata = ""
            if let pointer = element.metadata, element.metadata_size > 0 {
                let buffer = UnsafeRawBufferPointer(start: pointer, count: element.metadata_size)
                metadata = String(decoding: buffer, as: UTF8.self)
            }
            return (
                TopicPartition(String(cString: element.topic), element.partition),
                element.offset,
                metadata,
                element.err
            )
        }
    }

    /// The first per-partition error in `list`, as a `KafkaError`.
    static func firstError(in list: UnsafePointer<rd_kafka_topic_partition_list_t>, while operation: String) -> KafkaError? {
        for element in elements(of: list) where element.error != RD_KAFKA_RESP_ERR_NO_ERROR {
            return KafkaError.from(element.error, while: "\(operation) for \(element.topicPartition)")
        }
        return nil
    }
}
