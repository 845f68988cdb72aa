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

/// DeleteTopics (key 20), v0-3.
struct DeleteTopicsRequest: Sendable {
    var names: [String]

    init(from r: inout KafkaReader, version: Int16) throws {
        names = try r.array("topic_names", minElementSize: 2) { try $0.string("topic name") }
        _ = try r.int32("timeout_ms")
    }
}

struct DeleteTopicsResponse: KafkaResponseBody {
    var topics: [(name: String, errorCode: KafkaErrorCode)]

    func encode(into w: inout KafkaWriter, version: Int16) {
        if version >= 1 { w.int32(0) }
        w.array(topics) { w, t in
            w.string(t.name)
            w.int16(t.errorCode.rawValue)
        }
    }
}

/// DescribeConfigs (key 32), v0-2.
struct DescribeConfigsRequest: Sendable {
    struct Resource: Sendable {
        var type: Int8
        var name: String
        var keys: [String]?
    }
    var resources: [Resource]

    static let topicResource: Int8 = 2
    static let brokerResource: Int8 = 4

    init(from r: inout KafkaReader, version: Int16) throws {
        resources = try r.array("resources", minElementSize: 7) { r in
            Resource(
                type: try r.int8("resource_type"),
                name: try r.string("resource_name"),
                keys: try r.nullableArray("configuration_keys", minElementSize: 2) { try $0.string("key") }
            )
        }
        if version >= 1 { _ = try r.bool("include_synonyms") }
    }
}

struct DescribeConfigsResponse: KafkaResponseBody {
    struct Config {
        var name: String
        var value: String?
        var isDefault: Bool
    }
    struct Result {
        var errorCode: KafkaErrorCode
        var message: String?
        var type: Int8
        var name: String
        var configs: [Config]
    }
    var results: [Result]

    func encode(into w: inout KafkaWriter, version: Int16) {
        w.int32(0)
        w.array(results) { w, res in
            w.int16(res.errorCode.rawValue)
            w.string(res.message)
            w.int8(res.type)
            w.string(res.name)
            w.array(res.configs) { w, c in
                w.string(c.name)
                w.string(c.value)
                w.bool(true)
                if version == 0 {
                    w.bool(c.isDefault)
                } else {
                    // config_source: 5 = DEFAULT_CONFIG, 4 = STATIC_BROKER_CONFIG.
                    w.int8(c.isDefault ? 5 : 4)
                }
                w.bool(false)
                if version >= 1 { w.arrayCount(0) }
            }
        }
    }
}
