/// OffsetFetch (key 9), v1-7; v6+ flexible, v7 adds require_stable.
struct OffsetFetchRequest: Sendable {
    struct Topic: Sendable {
        var name: String
        var partitions: [Int32]
    }
    var groupId: String
    /// nil means every partition the group has committed.
    var topics: [Topic]?
    var requireStable: Bool

    init(from r: inout KafkaReader, version: Int16) throws {
        groupId = try r.string("group_id")
        topics = try r.nullableArray("topics", minElementSize: 6) { r in
            let t = Topic(
                name: try r.string("topic name"),
                partitions: try r.array("partition_indexes", minElementSize: 4) { try $0.int32("partition index") }
            )
            try r.taggedFields()
            return t
        }
        requireStable = version >= 7 ? try r.bool("require_stable") : false
        try r.taggedFields()
    }
}

struct OffsetFetchResponse: KafkaResponseBody {
    struct Partition {
        var index: Int32
        var offset: Int64
        var leaderEpoch: Int32
        var metadata: String?
        var errorCode: KafkaErrorCode
    }
    struct Topic {
        var name: String
        var partitions: [Partition]
    }
    var topics: [Topic]
    var errorCode: KafkaErrorCode

    func encode(into w: inout KafkaWriter, version: Int16) {
        if version >= 3 { w.int32(0) }
        w.array(topics) { w, t in
            w.string(t.name)
            w.array(t.partitions) { w, p in
                w.int32(p.index)
                w.int64(p.offset)
                if version >= 5 { w.int32(p.leaderEpoch) }
                w.string(p.metadata)
                w.int16(p.errorCode.rawValue)
                w.taggedFields()
            }
            w.taggedFields()
        }
        if version >= 2 { w.int16(errorCode.rawValue) }
        w.taggedFields()
    }
}
