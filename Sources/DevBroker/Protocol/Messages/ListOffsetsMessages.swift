/// ListOffsets (key 2), v1-2.
struct ListOffsetsRequest: Sendable {
    struct Partition: Sendable {
        var index: Int32
        var timestamp: Int64
    }
    struct Topic: Sendable {
        var name: String
        var partitions: [Partition]
    }
    var readCommitted: Bool
    var topics: [Topic]

    /// The timestamps with a special meaning.
    static let latest: Int64 = -1
    static let earliest: Int64 = -2

    init(from r: inout KafkaReader, version: Int16) throws {
        _ = try r.int32("replica_id")
        readCommitted = version >= 2 ? try r.int8("isolation_level") == 1 : false
        topics = try r.array("topics", minElementSize: 6) { r in
            Topic(
                name: try r.string("topic name"),
                partitions: try r.array("partitions", minElementSize: 12) { r in
                    Partition(index: try r.int32("partition_index"), timestamp: try r.int64("timestamp"))
                }
            )
        }
    }
}

struct ListOffsetsResponse: KafkaResponseBody {
    struct Partition {
        var index: Int32
        var errorCode: KafkaErrorCode
        var offset: Int64
    }
    struct Topic {
        var name: String
        var partitions: [Partition]
    }
    var topics: [Topic]

    func encode(into w: inout KafkaWriter, version: Int16) {
        if version >= 2 { w.int32(0) }
        w.array(topics) { w, t in
            w.string(t.name)
            w.array(t.partitions) { w, p in
                w.int32(p.index)
                w.int16(p.errorCode.rawValue)
                w.int64(-1)
                w.int64(p.offset)
            }
        }
    }
}
