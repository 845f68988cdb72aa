/// OffsetCommit (key 8), v2-7, and TxnOffsetCommit (key 28), v0-3: the partitions and offsets to commit.
struct OffsetCommitRequest: Sendable {
    struct Partition: Sendable {
        var index: Int32
        var offset: Int64
        var leaderEpoch: Int32
        var metadata: String?
    }
    struct Topic: Sendable {
        var name: String
        var partitions: [Partition]
    }
    var transactionalId: String?
    var producerId: Int64 = -1
    var producerEpoch: Int16 = -1
    var groupId: String
    var generationId: Int32
    var memberId: String
    var topics: [Topic]

    /// OffsetCommit.
    init(offsetCommitFrom r: inout KafkaReader, version: Int16) throws {
        groupId = try r.string("group_id")
        generationId = try r.int32("generation_id")
        memberId = try r.string("member_id")
        if version >= 7 { _ = try r.nullableString("group_instance_id") }
        if version >= 2 && version <= 4 { _ = try r.int64("retention_time_ms") }
        topics = try Self.readTopics(&r, leaderEpoch: version >= 6)
    }

    /// TxnOffsetCommit: generation and member only from v3 (KIP-447); older versions skip the check.
    init(txnOffsetCommitFrom r: inout KafkaReader, version: Int16) throws {
        transactionalId = try r.string("transactional_id")
        groupId = try r.string("group_id")
        producerId = try r.int64("producer_id")
        producerEpoch = try r.int16("producer_epoch")
        if version >= 3 {
            generationId = try r.int32("generation_id")
            memberId = try r.string("member_id")
            _ = try r.nullableString("group_instance_id")
        } else {
            generationId = -1
            memberId = ""
        }
        topics = try Self.readTopics(&r, leaderEpoch: version >= 2)
        try r.taggedFields()
    }

    private static func readTopics(_ r: inout KafkaReader, leaderEpoch: Bool) throws -> [Topic] {
        try r.array("topics", minElementSize: 6) { r in
            let name = try r.string("topic name")
            let partitions = try r.array("partitions", minElementSize: 14) { r in
                let index = try r.int32("partition_index")
                let offset = try r.int64("committed_offset")
                let epoch = leaderEpoch ? try r.int32("committed_leader_epoch") : -1
                let metadata = try r.nullableString("committed_metadata")
                try r.taggedFields()
                return Partition(index: index, offset: offset, leaderEpoch: epoch, metadata: metadata)
            }
            try r.taggedFields()
            return Topic(name: name, partitions: partitions)
        }
    }
}
