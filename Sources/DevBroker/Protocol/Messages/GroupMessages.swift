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
            if version >= 5 { w.string(nil) }
            w.bytes(ByteBuffer(bytes: m.metadata))
        }
    }
}

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

/// LeaveGroup (key 13), v0-2.
struct LeaveGroupRequest: Sendable {
    var groupId: String
    var memberId: String

    init(from r: inout KafkaReader, version: Int16) throws {
        groupId = try r.string("group_id")
        memberId = try r.string("member_id")
    }
}

/// The response of Heartbeat, LeaveGroup, AddOffsetsToTxn, EndTxn: a throttle time (from `sinceVersion`) and an error code.
struct ErrorOnlyResponse: KafkaResponseBody {
    var errorCode: KafkaErrorCode
    var throttleSinceVersion: Int16 = 1

    func encode(into w: inout KafkaWriter, version: Int16) {
        if version >= throttleSinceVersion { w.int32(0) }
        w.int16(errorCode.rawValue)
    }
}

/// DescribeGroups (key 15), v0-4.
struct DescribeGroupsRequest: Sendable {
    var groups: [String]

    init(from r: inout KafkaReader, version: Int16) throws {
        groups = try r.array("groups", minElementSize: 2) { try $0.string("group") }
        if version >= 3 { _ = try r.bool("include_authorized_operations") }
    }
}

struct DescribeGroupsResponse: KafkaResponseBody {
    struct Member {
        var memberId: String
        var clientId: String
        var clientHost: String
        var metadata: [UInt8]
        var assignment: [UInt8]
    }
    struct Group {
        var errorCode: KafkaErrorCode
        var groupId: String
        var state: String
        var protocolType: String
        var protocolName: String
        var members: [Member]
    }
    var groups: [Group]

    func encode(into w: inout KafkaWriter, version: Int16) {
        if version >= 1 { w.int32(0) }
        w.array(groups) { w, g in
            w.int16(g.errorCode.rawValue)
            w.string(g.groupId)
            w.string(g.state)
            w.string(g.protocolType)
            w.string(g.protocolName)
            w.array(g.members) { w, m in
                w.string(m.memberId)
                if version >= 4 { w.string(nil) }
                w.string(m.clientId)
                w.string(m.clientHost)
                w.bytes(ByteBuffer(bytes: m.metadata))
                w.bytes(ByteBuffer(bytes: m.assignment))
            }
            if version >= 3 { w.int32(Int32.min) }
        }
    }
}

/// ListGroups (key 16), v0-2: the request has no body.
struct ListGroupsResponse: KafkaResponseBody {
    var groups: [(id: String, protocolType: String)]

    func encode(into w: inout KafkaWriter, version: Int16) {
        if version >= 1 { w.int32(0) }
        w.int16(0)
        w.array(groups) { w, g in
            w.string(g.id)
            w.string(g.protocolType)
        }
    }
}
