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
            let start = context?.rebalanceHandler?(.assigned(elements)) ?? [:]
            var paused: [TopicPartition] = []
            if let partitions {
                for index in 0..<Int(partitions.pointee.cnt) {
                    let element = partitions.pointee.elems[index]
                    let key = TopicPartition(String(cString: element.topic), element.partition)
                    if start.paused.contains(key) {
                        // A logical offset, so that librdkafka does not fetch the committed
                        // one itself: an answer it got after the caller's seek would move the
                        // partition back. Paused below before its first fetch can start (the
                        // end offset is looked up first); the caller seeks before resuming.
                        partitions.pointee.elems[index].offset = Int64(RD_KAFKA_OFFSET_END)
                        paused.append(key)
                    } else if let offset = start.offsets[key] {
                        partitions.pointee.elems[index].offset = offset
                    }
                }
            }
            if cooperative {
                report(KafkaError.consuming(rd_kafka_incremental_assign(handle, partitions), while: "incremental assign"), context)
            } else {
                report(KafkaError.from(rd_kafka_assign(handle, partitions), while: "assign"), context)
            }
            if !paused.isEmpty {
                NativePartitionList.withNativeList(partitions: paused) { list in
                    report(KafkaError.from(rd_kafka_pause_partitions(handle, list), while: "pause \(paused)")
                        ?? NativePartitionList.firstError(in: list, while: "pause"), context)
                }
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
