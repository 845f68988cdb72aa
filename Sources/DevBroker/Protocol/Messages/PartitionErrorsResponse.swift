/// The response of OffsetCommit and TxnOffsetCommit: an error code per partition.
struct PartitionErrorsResponse: KafkaResponseBody {
    struct Topic {
        var name: String
        var partitions: [(index: Int32, errorCode: KafkaErrorCode)]
    }
    var topics: [Topic]
    var throttleSinceVersion: Int16

    func encode(into w: inout KafkaWriter, version: Int16) {
        if version >= throttleSinceVersion { w.int32(0) }
        w.array(topics) { w, t in
            w.string(t.name)
            w.array(t.partitions) { w, p in
                w.int32(p.index)
                w.int16(p.errorCode.rawValue)
                w.taggedFields()
            }
            w.taggedFields()
        }
        w.taggedFields()
    }
}
