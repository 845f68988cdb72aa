/// EndTxn (key 26), v0-1.
struct EndTxnRequest: Sendable {
    var transactionalId: String
    var producerId: Int64
    var producerEpoch: Int16
    var committed: Bool

    init(from r: inout KafkaReader, version: Int16) throws {
        transactionalId = try r.string("transactional_id")
        producerId = try r.int64("producer_id")
        producerEpoch = try r.int16("producer_epoch")
        committed = try r.bool("committed")
    }

    init(transactionalId: String, producerId: Int64, producerEpoch: Int16, committed: Bool) {
        self.transactionalId = transactionalId
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.committed = committed
    }
}
