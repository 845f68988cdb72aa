/// CreateTopics (key 19), v0-4.
struct CreateTopicsRequest: Sendable {
    struct Topic: Sendable {
        var name: String
        var numPartitions: Int32
        var replicationFactor: Int16
        var assignedPartitions: Int
    }
    var topics: [Topic]
    var validateOnly: Bool

    init(from r: inout KafkaReader, version: Int16) throws {
        topics = try r.array("topics", minElementSize: 18) { r in
            let name = try r.string("topic name")
            let numPartitions = try r.int32("num_partitions")
            let replicationFactor = try r.int16("replication_factor")
            let assignments = try r.array("assignments", minElementSize: 8) { r in
                (try r.int32("partition_index"), try r.array("broker_ids", minElementSize: 4) { try $0.int32("broker id") })
            }
            _ = try r.array("configs", minElementSize: 4) { r in
                (try r.string("config name"), try r.nullableString("config value"))
            }
            return Topic(name: name, numPartitions: numPartitions, replicationFactor: replicationFactor, assignedPartitions: assignments.count)
        }
        _ = try r.int32("timeout_ms")
        validateOnly = version >= 1 ? try r.bool("validate_only") : false
    }
}

struct CreateTopicsResponse: KafkaResponseBody {
    var topics: [(name: String, errorCode: KafkaErrorCode, message: String?)]

    func encode(into w: inout KafkaWriter, version: Int16) {
        if version >= 2 { w.int32(0) }
        w.array(topics) { w, t in
            w.string(t.name)
            w.int16(t.errorCode.rawValue)
            if version >= 1 { w.string(t.message) }
        }
    }
}
