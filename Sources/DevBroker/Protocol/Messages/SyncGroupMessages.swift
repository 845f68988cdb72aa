import NIOCore

/// SyncGroup (key 14), v0-3.
struct SyncGroupRequest: Sendable {
    var groupId: String
    var generationId: Int32
    var memberId: String
    var assignments: [String: [UInt8]]

    init(from r: inout KafkaReader, version: Int16) throws {
        groupId = try r.string("group_id")
        generationId = try r.int32("generation_id")
        memberId = try r.string("member_id")
        if version >= 3 { _ = try r.nullableString("group_instance_id") }
        let pairs = try r.array("assignments", minElementSize: 6) { r in
            (try r.string("member_id"), Array(buffer: try r.bytes("assignment")))
        }
        assignments = Dictionary(pairs, uniquingKeysWith: { _, last in last })
    }

    init(groupId: String, generationId: Int32, memberId: String, assignments: [String: [UInt8]]) {
        self.groupId = groupId
        self.generationId = generationId
        self.memberId = memberId
        self.assignments = assignments
    }
}

struct SyncGroupResult: Sendable, Equatable, KafkaResponseBody {
    var errorCode: KafkaErrorCode
    var assignment: [UInt8]

    func encode(into w: inout KafkaWriter, version: Int16) {
        if version >= 1 { w.int32(0) }
        w.int16(errorCode.rawValue)
        w.bytes(ByteBuffer(bytes: assignment))
    }
}
