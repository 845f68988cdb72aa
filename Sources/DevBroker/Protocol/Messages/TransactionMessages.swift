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
