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
            // Held partitions are paused before they are assigned, so that librdkafka never
            // fetches them nor looks up where they start: they are assigned at an absolute
            // offset that nothing reads. librdkafka (2.0.2) answers an offset lookup that a
            // later seek made outdated by looking the same logical offset up again and moving
            // the partition there, behind the seek: assigned at the log end and paused after,
            // a held partition sought and resumed while that lookup was on its way skipped to
            // the end (RebalanceTests.aPausedAssignmentSoughtAtOnceIsReadFromWhereItWasSought).
            // librdkafka keeps an application's pause across the assignment. A topic handle
            // makes it know the topic's partitions (from its metadata cache) before their first
            // assignment, so that they can be paused; kept until the assignment holds them.
            let held = start.paused.intersection(elements)
            let heldTopics = Set(held.map(\.topic)).compactMap { rd_kafka_topic_new(handle, $0, nil) }
            defer { heldTopics.forEach { rd_kafka_topic_destroy($0) } }
            let prePaused = pauseBeforeAssigning(held, handle: handle, context)
            // No pause outlives an assignment (they are lifted after each revocation), but one
            // left by a path that could not lift it would hold a partition assigned normally
            // forever: lifted here too.
            resume(elements.filter { !held.contains($0) }, handle: handle)
            var pauseAfter: [TopicPartition] = []
            if let partitions {
                for index in 0..<Int(partitions.pointee.cnt) {
                    let element = partitions.pointee.elems[index]
                    let key = TopicPartition(String(cString: element.topic), element.partition)
                    if prePaused.contains(key) {
                        partitions.pointee.elems[index].offset = heldStartOffset
                    } else if start.paused.contains(key) {
                        // Not pausable before the assignment (librdkafka did not know the
                        // partition yet): at a logical offset, so that it does not
                        // read the committed one itself, and paused right after. The caller
                        // seeks before resuming.
                        partitions.pointee.elems[index].offset = Int64(RD_KAFKA_OFFSET_END)
                        pauseAfter.append(key)
                    } else if let offset = start.offsets[key] {
                        partitions.pointee.elems[index].offset = offset
                    }
                }
            }
            let failure = cooperative
                ? KafkaError.consuming(rd_kafka_incremental_assign(handle, partitions), while: "incremental assign")
                : KafkaError.from(rd_kafka_assign(handle, partitions), while: "assign")
            if let failure {
                report(failure, context)
                // Not assigned: a pause left on them would hold them in a later assignment.
                resume(Array(prePaused), handle: handle)
            }
            if failure == nil, !pauseAfter.isEmpty {
                NativePartitionList.withNativeList(partitions: pauseAfter) { list in
                    report(KafkaError.from(rd_kafka_pause_partitions(handle, list), while: "pause \(pauseAfter)")
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
            // A pause (a partition held for its offsets, say) does not outlive the assignment:
            // librdkafka would keep it for the partition's next assignment. Lifted after the
            // unassign, so that nothing is fetched in between (a held partition sits at an
            // offset nobody means to read).
            resume(elements, handle: handle)
        default:
            // An error in the rebalance itself: librdkafka asks us to drop the assignment.
            context?.logger.error("rebalance failed: \(String(cString: rd_kafka_err2str(error))); dropping the assignment")
            _ = context?.rebalanceHandler?(.revoked(elements, lost: true))
            report(KafkaError.from(rd_kafka_assign(handle, nil), while: "unassign after a failed rebalance"), context)
            resume(elements, handle: handle)
        }
    }

    /// Where a partition held paused from before its assignment starts: an absolute offset,
    /// which librdkafka takes as it is (no lookup); nothing is fetched from it, since the
    /// partition stays paused until the caller seeks it elsewhere.
    static let heldStartOffset: Int64 = 0

    /// Pauses `held` (application pause, kept by librdkafka across the assignment that
    /// follows); returns those it paused. A partition librdkafka does not know yet (its
    /// topic's partitions not in its metadata cache) cannot be paused before it is assigned.
    private static func pauseBeforeAssigning(_ held: Set<TopicPartition>, handle: OpaquePointer, _ context: ClientContext?) -> Set<TopicPartition> {
        guard !held.isEmpty else { return [] }
        return NativePartitionList.withNativeList(partitions: Array(held)) { list in
            if let error = KafkaError.from(rd_kafka_pause_partitions(handle, list), while: "pause \(held.sorted()) before assigning them") {
                report(error, context)
                return []
            }
            var paused: Set<TopicPartition> = []
            for element in NativePartitionList.elements(of: list) where element.error == RD_KAFKA_RESP_ERR_NO_ERROR {
                paused.insert(element.topicPartition)
            }
            if paused.count < held.count {
                context?.logger.notice("\(held.subtracting(paused).sorted()): unknown to librdkafka before their assignment, so paused right after it")
            }
            return paused
        }
    }

    /// Lifts the application's pause of `partitions`; one that is not paused, or that librdkafka
    /// does not know, is left as it is.
    private static func resume(_ partitions: [TopicPartition], handle: OpaquePointer) {
        guard !partitions.isEmpty else { return }
        NativePartitionList.withNativeList(partitions: partitions) { list in
            _ = rd_kafka_resume_partitions(handle, list)
        }
    }

    private static func report(_ error: KafkaError?, _ context: ClientContext?) {
        if let error {
            context?.logger.error("\(error)")
        }
    }
}
