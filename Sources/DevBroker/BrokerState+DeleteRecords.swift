import Logging

/// BrokerState: deleting records from the start of partitions (DeleteRecords), what Kafka's
/// retention does on its own. Tests use it to put a committed offset out of the log.
extension BrokerState {
    /// Moves each partition's log start to the requested offset (the high watermark for -1),
    /// never back. An offset above the high watermark, or negative other than -1, is
    /// OFFSET_OUT_OF_RANGE; a topic or partition that does not exist (none is created) is
    /// UNKNOWN_TOPIC_OR_PARTITION. The new log starts are saved before the answer goes.
    mutating func deleteRecords(_ request: DeleteRecordsRequest) -> DeleteRecordsResponse {
        var moved = false
        let response = DeleteRecordsResponse(topics: request.topics.map { topic in
            .init(name: topic.name, partitions: topic.partitions.map { p in
                func fail(_ code: KafkaErrorCode) -> DeleteRecordsResponse.Partition {
                    .init(index: p.index, lowWatermark: -1, errorCode: code)
                }
                guard let logs = topics[topic.name], p.index >= 0, Int(p.index) < logs.count else {
                    return fail(.unknownTopicOrPartition)
                }
                let log = logs[Int(p.index)]
                let offset = p.offset == DeleteRecordsRequest.highWatermark ? log.highWatermark : p.offset
                guard (0...log.highWatermark).contains(offset) else {
                    logger.debug("DeleteRecords on \(topic.name)-\(p.index) refused: offset \(p.offset) is not in 0...\(log.highWatermark) (the high watermark) or -1")
                    return fail(.offsetOutOfRange)
                }
                if offset > log.logStartOffset {
                    topics[topic.name]![Int(p.index)].advanceLogStart(to: offset)
                    moved = true
                    logger.info("deleted the records of \(topic.name)-\(p.index) below offset \(offset)")
                }
                return .init(index: p.index, lowWatermark: topics[topic.name]![Int(p.index)].logStartOffset, errorCode: .none)
            })
        })
        // When this save fails, the broker answers nothing more (`failStorage`): no client is
        // told of a log start that a restart would not have.
        if moved { persist() }
        return response
    }
}
