/// Heartbeat (key 12), v0-3.
struct HeartbeatRequest: Sendable {
    var groupId: String
    var generationId: Int32
    var memberId: String

    init(from r: inout KafkaReader, version: Int16) throws {
        groupId = try r.string("group_id")
        generationId = try r.int32("generation_id")
        memberId = try r.string("member_id")
        if version >= 3 { _ = try r.nullableString("group_instance_id") }
    }
}
