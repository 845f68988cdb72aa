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
