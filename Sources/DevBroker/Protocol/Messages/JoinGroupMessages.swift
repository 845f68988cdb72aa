import NIOCore

/// JoinGroup (key 11), v0-5.
struct JoinGroupRequest: Sendable {
    struct GroupProtocol: Sendable, Codable, Equatable {
        var name: String
        var metadata: [UInt8]
    }
    var groupId: String
    var sessionTimeoutMs: Int32
    var rebalanceTimeoutMs: Int32
    var memberId: String
    var groupInstanceId: String?
    var protocolType: String
    var protocols: [GroupProtocol]

    init(from r: inout KafkaReader, version: Int16) throws {
        groupId = try r.string("group_id")
        sessionTimeoutMs = try r.int32("session_timeout_ms")
        rebalanceTimeoutMs = version >= 1 ? try r.int32("rebalance_timeout_ms") : sessionTimeoutMs
        memberId = try r.string("member_id")
        groupInstanceId = version >= 5 ? try r.nullableString("group_instance_id") : nil
        protocolType = try r.string("protocol_type")
        protocols = try r.array("protocols", minElementSize: 6) { r in
            GroupProtocol(name: try r.string("protocol name"), metadata: Array(buffer: try r.bytes("protocol metadata")))
        }
    }

    init(groupId: String, sessionTimeoutMs: Int32, rebalanceTimeoutMs: Int32, memberId: String, protocolType: String, protocols: [GroupProtocol]) {
        self.groupId = groupId
        self.sessionTimeoutMs = sessionTimeoutMs
        self.rebalanceTimeoutMs = rebalanceTimeoutMs
        self.memberId = memberId
        self.groupInstanceId = nil
        self.protocolType = protocolType
        self.protocols = protocols
    }
}

/// What a member receives when a rebalance completes (or fails).
struct JoinGroupResult: Sendable, Equatable, KafkaResponseBody {
    struct Member: Sendable, Equatable {
        var memberId: String
        var groupInstanceId: String? = nil
        var metadata: [UInt8]
    }
    var errorCode: KafkaErrorCode
    var generationId: Int32
    var protocolName: String
    var leader: String
    var memberId: String
    /// Only the leader receives the members, to compute the assignment.
    var members: [Member]

    static func failure(_ code: KafkaErrorCode, memberId: String = "") -> JoinGroupResult {
        JoinGroupResult(errorCode: code, generationId: -1, protocolName: "", leader: "", memberId: memberId, members: [])
    }

    func encode(into w: inout KafkaWriter, version: Int16) {
        if version >= 2 { w.int32(0) }
        w.int16(errorCode.rawValue)
        w.int32(generationId)
        w.string(protocolName)
        w.string(leader)
        w.string(memberId)
        w.array(members) { w, m in
            w.string(m.memberId)
            if version >= 5 { w.string(m.groupInstanceId) }
            w.bytes(ByteBuffer(bytes: m.metadata))
        }
    }
}
