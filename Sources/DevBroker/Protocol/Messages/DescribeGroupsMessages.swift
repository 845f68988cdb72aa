import NIOCore

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
        var groupInstanceId: String?
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
                if version >= 4 { w.string(m.groupInstanceId) }
                w.string(m.clientId)
                w.string(m.clientHost)
                w.bytes(ByteBuffer(bytes: m.metadata))
                w.bytes(ByteBuffer(bytes: m.assignment))
            }
            if version >= 3 { w.int32(Int32.min) }
        }
    }
}
