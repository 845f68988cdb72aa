import NIOCore

/// Produce (key 0), v3-7: record batches v2 only.
struct ProduceRequest: Sendable {
    struct Partition: Sendable {
        var index: Int32
        var records: ByteBuffer?
    }
    struct Topic: Sendable {
        var name: String
        var partitions: [Partition]
    }
    var transactionalId: String?
    var acks: Int16
    var timeoutMs: Int32
    var topics: [Topic]

    init(from r: inout KafkaReader, version: Int16) throws {
        transactionalId = try r.nullableString("transactional_id")
        acks = try r.int16("acks")
        timeoutMs = try r.int32("timeout_ms")
        topics = try r.array("topic_data", minElementSize: 6) { r in
            Topic(
                name: try r.string("topic name"),
                partitions: try r.array("partition_data", minElementSize: 8) { r in
                    Partition(index: try r.int32("partition index"), records: try r.nullableBytes("records"))
                }
            )
        }
    }
}

struct ProduceResponse: KafkaResponseBody {
    struct Partition {
        var index: Int32
        var errorCode: KafkaErrorCode
        var baseOffset: Int64
        var logStartOffset: Int64
    }
    struct Topic {
        var name: String
        var partitions: [Partition]
    }
    var topics: [Topic]

    func encode(into w: inout KafkaWriter, version: Int16) {
        w.array(topics) { w, t in
            w.string(t.name)
            w.array(t.partitions) { w, p in
                w.int32(p.index)
                w.int16(p.errorCode.rawValue)
                w.int64(p.baseOffset)
                w.int64(-1)
                if version >= 5 { w.int64(p.logStartOffset) }
            }
        }
        w.int32(0)
    }
}
