import CRdKafka

extension KafkaConsumer {
    /// Where `partition`'s log starts (its oldest record's offset) and ends (the high
    /// watermark), as its leader says now. *Blocking* up to `timeout`.
    /// (Temporary: the development broker's DeleteRecords branch brings the documented version.)
    public func logRange(of partition: TopicPartition, timeout: Duration) throws(KafkaError) -> (start: Int64, end: Int64) {
        try checkOpen()
        var low: Int64 = -1
        var high: Int64 = -1
        if let error = KafkaError.from(
            rd_kafka_query_watermark_offsets(handle.pointer, partition.topic, partition.partition, &low, &high, timeout.timeoutMilliseconds),
            while: "read the log range of \(partition)")
        {
            throw error
        }
        return (low, high)
    }
}
