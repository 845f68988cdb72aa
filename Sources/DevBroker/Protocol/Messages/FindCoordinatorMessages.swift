/// FindCoordinator (key 10), v0-2: this broker coordinates every group and transaction.
struct FindCoordinatorRequest: Sendable {
    var key: String
    var keyType: Int8

    init(from r: inout KafkaReader, version: Int16) throws {
        key = try r.string("key")
        keyType = version >= 1 ? try r.int8("key_type") : 0
    }
}

struct FindCoordinatorResponse: KafkaResponseBody {
    var nodeId: Int32
    var host: String
    var port: Int32

    func encode(into w: inout KafkaWriter, version: Int16) {
        if version >= 1 { w.int32(0) }
        w.int16(0)
        if version >= 1 { w.string(nil) }
        w.int32(nodeId)
        w.string(host)
        w.int32(port)
    }
}
