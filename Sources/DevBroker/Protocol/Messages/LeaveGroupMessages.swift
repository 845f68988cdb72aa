/// LeaveGroup (key 13), v0-2.
struct LeaveGroupRequest: Sendable {
    var groupId: String
    var memberId: String

    init(from r: inout KafkaReader, version: Int16) throws {
        groupId = try r.string("group_id")
        memberId = try r.string("member_id")
    }
}
