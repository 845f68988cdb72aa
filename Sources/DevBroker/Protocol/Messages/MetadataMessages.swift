/// Metadata (key 3), v0-5.
struct MetadataRequest: Sendable {
    /// nil means every topic.
    var topics: [String]?
    var allowAutoTopicCreation: Bool

    init(from r: inout KafkaReader, version: Int16) throws {
        let names = try r.nullableArray("topics", minElementSize: 2) { try $0.string("topic name") }
        topics = (version == 0 && names?.isEmpty == true) ? nil : names
        allowAutoTopicCreation = version >= 4 ? try r.bool("allow_auto_topic_creation") : true
    }
}

struct MetadataResponse: KafkaResponseBody {
    struct Partition {
        var errorCode: KafkaErrorCode
        var index: Int32
    }
    struct Topic {
        var errorCode: KafkaErrorCode
        var name: String
        var partitions: [Partition]
    }
    var nodeId: Int32
    var host: String
    var port: Int32
    var clusterId: String
    var topics: [Topic]

    func encode(into w: inout KafkaWriter, version: Int16) {
        if version >= 3 { w.int32(0) }
        w.arrayCount(1)
        w.int32(nodeId)
        w.string(host)
        w.int32(port)
        if version >= 1 { w.string(nil) }
        if version >= 2 { w.string(clusterId) }
        if version >= 1 { w.int32(nodeId) }
        w.array(topics) { w, t in
            w.int16(t.errorCode.rawValue)
            w.string(t.name)
            if version >= 1 { w.bool(false) }
            w.array(t.partitions) { w, p in
                w.int16(p.errorCode.rawValue)
                w.int32(p.index)
                w.int32(nodeId)
                w.arrayCount(1); w.int32(nodeId)
                w.arrayCount(1); w.int32(nodeId)
                if version >= 5 { w.arrayCount(0) }
            }
        }
    }
}
