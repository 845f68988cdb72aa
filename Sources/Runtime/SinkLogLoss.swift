import KafkaClient

/// Explains the fatal error a transactional producer gets when a partition it writes to no
/// longer holds its earlier records: the broker finds the producer's next sequence number out of
/// order (`OUT_OF_ORDER_SEQUENCE_NUMBER`) or does not know the producer (`UNKNOWN_PRODUCER_ID`).
///
/// Found by deleting the sink topic under a running processor: the next record created the topic
/// again (a cluster with `auto.create.topics.enable`), and librdkafka reported "sequence
/// desynchronization with broker 1 (PID{Id:1003,Epoch:0}, base seq 51800, ...)", which says
/// nothing of the topic. An unclean leader election that cuts the partition's log short does
/// the same. The producer cannot go on either way, so the processor stops; this says why.
enum SinkLogLoss {
    /// librdkafka's names for the errors that mean a partition lost the producer's records.
    static let errors: Set<String> = ["OUT_OF_ORDER_SEQUENCE_NUMBER", "UNKNOWN_PRODUCER_ID"]

    /// `error` in words when it means a partition the processor writes to (`sinkTopics`) lost
    /// the producer's earlier records, `nil` otherwise.
    static func explanation(of error: any Error, sinkTopics: [String]) -> String? {
        guard let kafka = error as? KafkaError, let name = kafka.rdKafkaName, errors.contains(name) else { return nil }
        let topics = sinkTopics.map { "`\($0)`" }.joined(separator: " or ")
        return "Kafka no longer holds this producer's earlier records in a partition it writes to (\(name)): "
            + "most likely \(topics) was deleted while the processor ran (and created again by the next record), "
            + "or an unclean leader election cut the partition's log short. The transaction cannot go on, so the processor stops: "
            + "nothing of the open checkpoint is committed, and the committed offsets and checkpoints stay as they were. "
            + "A restart resumes from the last committed checkpoint and writes into the topic as it is now; "
            + "outputs committed before a deletion went with the topic. (librdkafka: \(kafka.message))"
    }
}
