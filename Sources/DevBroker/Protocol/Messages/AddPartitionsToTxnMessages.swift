/// AddPartitionsToTxn (key 24), v0-1.
struct AddPartitionsToTxnRequest: Sendable {
    var transactionalId: String
    var producerId: Int64
    var producerEpoch: Int16
    var topics: [(name: String, partitions: [Int32])]

    init(from r: inout KafkaReader, version: Int16) throws {
        transactionalId = try r.string("transactional_id")
        producerId = try r.int64("producer_id")
        producerEpoch = try r.int16("producer_epoch")
        topics = try r.array("topics", minElementSize: 6) { r in
            (try r.string("topic name"), try r.array("partitions", minElementSize: 4) { try $0.int32("partition") })
        }
    }

    init(transactionalId: String, producerId: Int64, producerEpoch: Int16, topics: [(name: String, partitions: [Int32])]) {
        self.transactionalId = transactionalId
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.topics = topics
    }
}
