/// AddOffsetsToTxn (key 25), v0-1.
struct AddOffsetsToTxnRequest: Sendable {
    var transactionalId: String
    var producerId: Int64
    var producerEpoch: Int16
    var groupId: String

    init(from r: inout KafkaReader, version: Int16) throws {
        transactionalId = try r.string("transactional_id")
        producerId = try r.int64("producer_id")
        producerEpoch = try r.int16("producer_epoch")
        groupId = try r.string("group_id")
    }
}
