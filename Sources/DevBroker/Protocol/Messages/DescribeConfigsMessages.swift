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
