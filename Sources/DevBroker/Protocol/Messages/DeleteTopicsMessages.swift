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
