/// DeleteRecords (key 21), v0-2; v2+ flexible. Moves partitions' log start offsets forward:
/// the records below become unreadable, as if retention had removed them. (v1 is v0.)
struct DeleteRecordsRequest: Sendable {
    struct Partition: Sendable {
        var index: Int32
        /// Records below this offset go; ``DeleteRecordsRequest/highWatermark`` for all of them.
        var offset: Int64
    }
    struct Topic: Sendable {
        var name: String
        var partitions: [Partition]
    }
    var topics: [Topic]

    /// The offset that means "up to the high watermark": every record the partition has.
    static let highWatermark: Int64 = -1

    init(from r: inout KafkaReader, version: Int16) throws {
        // The smallest topic: an empty name and no partitions (3 bytes flexible, 6 classic).
        topics = try r.array("topics", minElementSize: r.flexible ? 3 : 6) { r in
            let name = try r.string("topic name")
            let partitions = try r.array("partitions", minElementSize: 12) { r in
                let partition = Partition(index: try r.int32("partition_index"), offset: try r.int64("offset"))
                try r.taggedFields()
                return partition
            }
            try r.taggedFields()
            return Topic(name: name, partitions: partitions)
        }
        // Deleting is immediate here: there are no replicas to wait for.
        _ = try r.int32("timeout_ms")
        try r.taggedFields()
    }
}

struct DeleteRecordsResponse: KafkaResponseBody {
    struct Partition: Equatable {
        var index: Int32
        /// The partition's log start offset after the request; -1 with an error.
        var lowWatermark: Int64
        var errorCode: KafkaErrorCode
    }
    struct Topic {
        var name: String
        var partitions: [Partition]
    }
    var topics: [Topic]

    func encode(into w: inout KafkaWriter, version: Int16) {
        w.int32(0)
        w.array(topics) { w, t in
            w.string(t.name)
            w.array(t.partitions) { w, p in
                w.int32(p.index)
                w.int64(p.lowWatermark)
                w.int16(p.errorCode.rawValue)
                w.taggedFields()
            }
            w.taggedFields()
        }
        w.taggedFields()
    }
}
