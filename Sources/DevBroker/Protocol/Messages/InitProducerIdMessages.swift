/// InitProducerId (key 22), v0-1.
struct InitProducerIdRequest: Sendable {
    var transactionalId: String?
    var transactionTimeoutMs: Int32

    init(from r: inout KafkaReader, version: Int16) throws {
        transactionalId = try r.nullableString("transactional_id")
        transactionTimeoutMs = try r.int32("transaction_timeout_ms")
    }

    init(transactionalId: String?, transactionTimeoutMs: Int32) {
        self.transactionalId = transactionalId
        self.transactionTimeoutMs = transactionTimeoutMs
    }
}

struct InitProducerIdResponse: Equatable, KafkaResponseBody {
    var errorCode: KafkaErrorCode
    var producerId: Int64
    var producerEpoch: Int16

    func encode(into w: inout KafkaWriter, version: Int16) {
        w.int32(0)
        w.int16(errorCode.rawValue)
        w.int64(producerId)
        w.int16(producerEpoch)
    }
}
