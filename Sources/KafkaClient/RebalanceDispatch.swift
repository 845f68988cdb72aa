import CRdKafka

/// Runs a consumer's rebalance: tells the handler, then applies the change to librdkafka with
/// the protocol the group uses (incremental for cooperative, whole-assignment for eager).
enum RebalanceDispatch {
    static func handle(
        handle: OpaquePointer,
        error: rd_kafka_resp_err_t,
        partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
    ) {
        let context = ClientContext.of(handle)
        context?.hasBeenAssigned.store(true, ordering: .releasing)
        let cooperative = String(cString: rd_kafka_rebalance_protocol(handle)) == "COOPERATIVE"
        let elements = NativePartitionList.elements(of: partitions).map(\.topicPartition)

        switch error {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            let startOffsets = context?.rebalanceHandler?(.assigned(elements)) ?? [:]
            if let partitions {
                for index in 0..<Int(partitions.pointee.cnt) {
                    let element = partitions.pointee.elems[index]
                    let key = TopicPartition(String(cString: element.topic), element.partition)
                    if let offset = startOffsets[key] {
                        partitions.pointee.elems[index].offset = offset
                    }
                }
            }
            if cooperative {
                report(KafkaError.consuming(rd_kafka_incremental_assign(handle, partitions), while: "incremental assign"), context)
            } else {
                report(KafkaError.from(rd_kafka_assign(handle, partitions), while: "assign"), context)
            }
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            let lost = rd_kafka_assignment_lost(handle) != 0
            _ = context?.rebalanceHandler?(.revoked(elements, lost: lost))
            if cooperative {
                report(KafkaError.consuming(rd_kafka_incremental_unassign(handle, partitions), while: "incremental unassign"), context)
            } else {
                report(KafkaError.from(rd_kafka_assign(handle, nil), while: "unassign"), context)
            }
        default:
            // An error in the rebalance itself: librdkafka asks us to drop the assignment.
            context?.logger.error("rebalance failed: \(String(cString: rd_kafka_err2str(error))); dropping the assignment")
            _ = context?.rebalanceHandler?(.revoked(elements, lost: true))
            report(KafkaError.from(rd_kafka_assign(handle, nil), while: "unassign after a failed rebalance"), context)
        }
    }

    private static func report(_ error: KafkaError?, _ context: ClientContext?) {
        if let error {
            context?.logger.error("\(error)")
        }
    }
}
