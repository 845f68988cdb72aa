/// InitProducerId (key 22), v0-4; v2+ flexible. v3 adds the caller's current producer id and
/// epoch (KIP-360): a producer that must reset its sequence numbers (it gave up on records
/// whose fate it does not know) asks for its epoch to be bumped instead of failing fatally.
/// v4 answers a stale epoch with PRODUCER_FENCED instead of INVALID_PRODUCER_EPOCH.
struct InitProducerIdRequest: Sendable {
    var transactionalId: String?
    var transactionTimeoutMs: Int32
    /// The caller's producer id, or -1 for a first initialization (always -1 before v3).
    var producerId: Int64 = -1
    /// The caller's epoch, or -1 for a first initialization (always -1 before v3).
    var producerEpoch: Int16 = -1
    /// The request's version (which error a stale epoch gets).
    var version: Int16 = 0

    init(from r: inout KafkaReader, version: Int16) throws {
        transactionalId = try r.nullableString("transactional_id")
        transactionTimeoutMs = try r.int32("transaction_timeout_ms")
        if version >= 3 {
            producerId = try r.int64("producer_id")
            producerEpoch = try r.int16("producer_epoch")
        }
        try r.taggedFields()
        self.version = version
    }

    init(transactionalId: String?, transactionTimeoutMs: Int32, producerId: Int64 = -1, producerEpoch: Int16 = -1, version: Int16 = 0) {
        self.transactionalId = transactionalId
        self.transactionTimeoutMs = transactionTimeoutMs
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.version = version
    }

    /// Whether the caller asks for its current epoch to be bumped (KIP-360).
    var bumpsAnEpoch: Bool { producerId >= 0 && producerEpoch >= 0 }
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
        w.taggedFields()
    }
}
