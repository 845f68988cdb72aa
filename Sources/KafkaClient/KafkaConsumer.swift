import CRdKafka
import Logging
import Synchronization

/// A Kafka consumer in a consumer group.
///
/// - Important: Methods documented as *blocking* wait on the network. Call them from a
///   dedicated thread (the processor's loop, or ``BlockingCalls/run(_:)``), never directly from
///   Swift's cooperative thread pool. The rebalance handler runs on the thread that calls
///   ``poll(maxRecords:timeout:)``.
///
/// Offsets are never committed automatically (unless the configuration says so): an
/// exactly-once processor sends them to its producer's transaction instead.
public final class KafkaConsumer: Sendable {
    private let handle: KafkaHandle
    private let closed = Atomic<Bool>(false)
    /// The queue every record, rebalance and log reaches (`rd_kafka_poll_set_consumer`).
    private let consumerQueue: ConsumerQueue
    /// Restarts librdkafka's fetching when the queue runs low (``FetchWakeup``); `nil` when
    /// the configuration turns it off.
    private let fetchWakeup: FetchWakeup?
    /// The consumer group (`group.id`).
    private let groupID: String

    /// Creates a consumer. Nothing is read until ``subscribe(topics:)``.
    ///
    /// - Parameter rebalanceHandler: told of every assignment change before librdkafka applies
    ///   it; for an assignment, returns the offsets to start from (partitions it leaves out
    ///   start at their committed offset) and the partitions to hold paused
    ///   (``AssignmentStart``).
    /// - Throws: ``KafkaError/Code/invalidConfiguration`` naming a rejected property, or a
    ///   ``ConsumerConfiguration/fetchWakeupInterval`` under 1 ms.
    public init(
        configuration: ConsumerConfiguration,
        logger: Logger = Logger(label: "exactly.kafka.consumer"),
        rebalanceHandler: (@Sendable (RebalanceEvent) -> AssignmentStart)? = nil
    ) throws(KafkaError) {
        if let interval = configuration.fetchWakeupInterval, interval < .milliseconds(1) {
            // Checked before any handle exists. The wake-up thread waits whole milliseconds, so
            // anything shorter would be a wait of zero: the thread would spin.
            throw KafkaError(.invalidConfiguration, "`fetchWakeupInterval` = `\(interval)` is not allowed: at least 1 ms (the default is 50 ms), or nil to turn the fetch wake-ups off")
        }
        groupID = configuration.groupID
        let context = ClientContext(
            logger: logger,
            statistics: configuration.kafka.makeStatisticsBridge(),
            rebalanceHandler: rebalanceHandler
        )
        handle = try KafkaHandle(
            type: RD_KAFKA_CONSUMER,
            properties: configuration.librdkafkaProperties,
            context: context,
            wantsRebalance: true,
            wantsConsumerErrors: true
        )
        // Route the main queue (logs, statistics, rebalances) to the consumer queue, so one
        // poll serves them all.
        rd_kafka_poll_set_consumer(handle.pointer)
        let queue = ConsumerQueue(rd_kafka_queue_get_consumer(handle.pointer)!)
        consumerQueue = queue
        if let interval = configuration.fetchWakeupInterval {
            // The queue's size as librdkafka applies it: the last value in the properties it
            // is given (a pass-through property overrides the typed field).
            let queuedMinMessages = configuration.librdkafkaProperties.last { $0.0 == "queued.min.messages" }.flatMap { Int($0.1) }
                ?? configuration.queuedMinMessages
            fetchWakeup = FetchWakeup(handle: handle, queue: queue, lowWater: max(queuedMinMessages / 2, 1), interval: interval)
        } else {
            fetchWakeup = nil
        }
    }

    deinit {
        fetchWakeup?.stop()
        if !closed.load(ordering: .acquiring) {
            // Leave the group politely; errors here have nowhere to go but the log.
            if let error = KafkaError.from(closeNative(), while: "close consumer") {
                handle.context.logger.warning("\(error)")
            }
        }
        rd_kafka_queue_destroy(consumerQueue.pointer)  // before the handle goes
    }

    /// Joins the group and subscribes to `topics`; partitions arrive through the rebalance
    /// handler during later polls.
    public func subscribe(topics: [String]) throws(KafkaError) {
        try checkOpen()
        handle.context.hasSubscribed.store(true, ordering: .releasing)
        try NativePartitionList.withNativeList(
            partitions: topics.map { TopicPartition($0, RD_KAFKA_PARTITION_UA) }
        ) { (list) throws(KafkaError) in
            if let error = KafkaError.from(rd_kafka_subscribe(handle.pointer, list), while: "subscribe to \(topics)") {
                throw error
            }
        }
    }

    /// Reads up to `maxRecords` records, waiting up to `timeout` for the first. *Blocking.*
    ///
    /// Runs the rebalance handler when the group changes. Errors for one partition are logged
    /// and reading goes on (librdkafka recovers from them); a fatal error is thrown.
    public func poll(maxRecords: Int, timeout: Duration) throws(KafkaError) -> [ConsumedRecord] {
        try checkOpen()
        guard maxRecords > 0 else { return [] }
        var records: [ConsumedRecord] = []
        records.reserveCapacity(min(maxRecords, 1024))
        var topicNames = TopicNameCache()
        // Whatever is queued already, taken under one lock instead of one per record. The batch
        // call waits for a full batch until its timeout, so it is only ever asked with none.
        try takeQueued(upTo: maxRecords, into: &records, topicNames: &topicNames)
        if records.isEmpty {
            if let message = rd_kafka_consumer_poll(handle.pointer, timeout.timeoutMilliseconds) {
                defer { rd_kafka_message_destroy(message) }
                try accept(message, into: &records, topicNames: &topicNames)
            }
            if !records.isEmpty {
                try takeQueued(upTo: maxRecords - records.count, into: &records, topicNames: &topicNames)
            }
        }
        if !records.isEmpty { fetchWakeup?.recordsTaken(records.count) }
        return records
    }

    /// Appends up to `limit` records already in the consumer queue, without waiting. Serves
    /// rebalances and other callbacks queued before them, as `rd_kafka_consumer_poll` does.
    private func takeQueued(upTo limit: Int, into records: inout [ConsumedRecord], topicNames: inout TopicNameCache) throws(KafkaError) {
        guard limit > 0 else { return }
        let batch = UnsafeMutablePointer<UnsafeMutablePointer<rd_kafka_message_t>?>.allocate(capacity: limit)
        defer { batch.deallocate() }
        let count = rd_kafka_consume_batch_queue(consumerQueue.pointer, 0, batch, limit)
        guard count > 0 else { return }
        var failure: KafkaError?
        for index in 0..<count {
            guard let message = batch[index] else { continue }
            // Every message of the batch is ours to destroy, also after a failure.
            defer { rd_kafka_message_destroy(message) }
            if failure == nil {
                do { try accept(message, into: &records, topicNames: &topicNames) } catch { failure = error }
            }
        }
        if let failure { throw failure }
    }

    /// Appends `message` as a record, logs a per-partition error, throws a fatal one.
    private func accept(
        _ message: UnsafeMutablePointer<rd_kafka_message_t>, into records: inout [ConsumedRecord], topicNames: inout TopicNameCache
    ) throws(KafkaError) {
        let error = message.pointee.err
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            if error == RD_KAFKA_RESP_ERR__FATAL {
                throw KafkaError.from(error, while: "consume", handle: handle.pointer)!
            }
            if error == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET, let topic = message.pointee.rkt {
                let partition = TopicPartition(topicNames.name(of: topic), message.pointee.partition)
                handle.context.consumerErrors.withLock { $0.positionOutOfRange(partition, offset: message.pointee.offset) }
            }
            var text = String(cString: rd_kafka_message_errstr(message))
            if let topic = message.pointee.rkt, !text.hasPrefix(String(cString: rd_kafka_topic_name(topic))) {
                text = "\(String(cString: rd_kafka_topic_name(topic))) [\(message.pointee.partition)]: \(text)"
            }
            handle.context.consumerErrorOccurred(code: error.rawValue, text: text)
            return
        }
        records.append(Self.record(from: message, topic: topicNames.name(of: message.pointee.rkt)))
    }

    private static func record(from message: UnsafeMutablePointer<rd_kafka_message_t>, topic: String) -> ConsumedRecord {
        let pointee = message.pointee
        let key: [UInt8]? = pointee.key.map { Array(UnsafeRawBufferPointer(start: $0, count: pointee.key_len)) }
        let value: [UInt8] = pointee.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: pointee.len)) } ?? []
        var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let timestamp = rd_kafka_message_timestamp(message, &timestampType)
        var headers: [KafkaHeader] = []
        var nativeHeaders: OpaquePointer?
        // The headers stay owned by the message (destroyed with it).
        if rd_kafka_message_headers(message, &nativeHeaders) == RD_KAFKA_RESP_ERR_NO_ERROR, let nativeHeaders {
            var index = 0
            var name: UnsafePointer<CChar>?
            var valuePointer: UnsafeRawPointer?
            var size = 0
            while rd_kafka_header_get_all(nativeHeaders, index, &name, &valuePointer, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                let headerValue = valuePointer.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) }
                headers.append(KafkaHeader(name.map { String(cString: $0) } ?? "", headerValue))
                index += 1
            }
        }
        return ConsumedRecord(
            topicPartition: TopicPartition(topic, pointee.partition),
            offset: pointee.offset,
            key: key,
            value: value,
            headers: headers,
            timestampMilliseconds: timestampType == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? nil : timestamp
        )
    }

    /// What librdkafka reported since the last call about subscribed topics or partitions
    /// missing from the cluster (deleted, or no longer visible to this client), or `nil` if
    /// nothing. librdkafka goes on trying, so these never end the consumer by themselves; the
    /// caller decides, after confirming with the cluster's metadata, whether to stop.
    public func takeMissingTopicReports() -> MissingTopicReports? {
        handle.context.consumerErrors.withLock { $0.takeMissingTopicReports() }
    }

    /// The partitions librdkafka stopped fetching since the last call because the log no
    /// longer holds their position, with that position (the latest per partition); only with
    /// `auto.offset.reset` `error` (``ConsumerConfiguration/OffsetReset/error``), under which
    /// librdkafka reports instead of moving the position. librdkafka refuses to seek such a
    /// partition; ``restart(_:betweenUnassignAndAssign:)`` starts it again. Records deleted before they were read (retention, DeleteRecords) and a
    /// log cut short both look like this; ``watermarkOffsets(_:timeout:)`` tells them apart.
    public func takePositionsOutOfRange() -> [TopicPartition: Int64] {
        handle.context.consumerErrors.withLock { $0.takePositionsOutOfRange() }
    }

    /// Forgets what ``takePositionsOutOfRange()`` would say about `partitions`: for a rebalance
    /// handler that assigns them anew (a report still untaken is from their previous assignment).
    public func forgetPositionsOutOfRange(_ partitions: [TopicPartition]) {
        handle.context.consumerErrors.withLock { $0.forgetPositionsOutOfRange(partitions) }
    }

    /// Stops fetching `partitions` until ``resume(_:)``. *Blocking* until librdkafka has taken
    /// the pause (briefly). Their records already in the consumer queue are dropped by the next
    /// poll (librdkafka 2.0.2 outdates them), and a resume fetches again from after the last
    /// record a poll returned (or from the latest seek or start, when none was returned since).
    public func pause(_ partitions: [TopicPartition]) throws(KafkaError) {
        try checkOpen()
        try NativePartitionList.withNativeList(partitions: partitions) { (list) throws(KafkaError) in
            if let error = KafkaError.from(rd_kafka_pause_partitions(handle.pointer, list), while: "pause \(partitions)")
                ?? NativePartitionList.firstError(in: list, while: "pause")
            {
                throw error
            }
        }
    }

    /// Fetches `partitions` again after ``pause(_:)``.
    public func resume(_ partitions: [TopicPartition]) throws(KafkaError) {
        try checkOpen()
        try NativePartitionList.withNativeList(partitions: partitions) { (list) throws(KafkaError) in
            if let error = KafkaError.from(rd_kafka_resume_partitions(handle.pointer, list), while: "resume \(partitions)")
                ?? NativePartitionList.firstError(in: list, while: "resume")
            {
                throw error
            }
        }
    }

    /// The offset to ``seek(_:timeout:)`` to for starting where `auto.offset.reset` says, as a
    /// partition without a committed offset does.
    public static let offsetResetPosition = Int64(RD_KAFKA_OFFSET_INVALID)
    /// The offset to ``seek(_:timeout:)`` to (or start an assignment at) for the oldest record
    /// the log still holds, whatever `auto.offset.reset` says.
    public static let logStartPosition = Int64(RD_KAFKA_OFFSET_BEGINNING)
    /// The offset to ``seek(_:timeout:)`` to for the end of the log: only records produced
    /// from then on.
    public static let logEndPosition = Int64(RD_KAFKA_OFFSET_END)

    /// Moves the read position of assigned partitions to the given offsets. *Blocking* up to
    /// `timeout`. Records already fetched past the old position are discarded.
    public func seek(_ offsets: [PartitionOffset], timeout: Duration = .seconds(10)) throws(KafkaError) {
        let refusals = try seekEach(offsets, timeout: timeout)
        // The first refused partition in the order asked, as the list reports them.
        if let error = offsets.lazy.compactMap({ refusals[$0.topicPartition] }).first { throw error }
    }

    /// Moves the read position of each assigned partition as ``seek(_:timeout:)`` does, but
    /// answers per partition: the partitions librdkafka refused, each with its error (the
    /// others were sought). *Blocking* up to `timeout`. Throws only when the call failed as a whole.
    public func seekEach(_ offsets: [PartitionOffset], timeout: Duration = .seconds(10)) throws(KafkaError) -> [TopicPartition: KafkaError] {
        try checkOpen()
        guard !offsets.isEmpty else { return [:] }
        return try NativePartitionList.withNativeList(
            offsets.map { ($0.topicPartition, offset: $0.offset, metadata: nil) }
        ) { (list) throws(KafkaError) in
            if let error = KafkaError.consuming(rd_kafka_seek_partitions(handle.pointer, list, timeout.timeoutMilliseconds), while: "seek \(offsets)") {
                throw error
            }
            var refused: [TopicPartition: KafkaError] = [:]
            for element in NativePartitionList.elements(of: list) where element.error != RD_KAFKA_RESP_ERR_NO_ERROR {
                refused[element.topicPartition] = KafkaError.from(element.error, while: "seek for \(element.topicPartition)")
            }
            return refused
        }
    }

    /// Starts assigned partitions again at `offsets`: takes them out of the assignment and puts
    /// them back (incremental unassign, then assign), and resumes them. For partitions
    /// librdkafka stopped fetching because their position was out of range (under
    /// `auto.offset.reset` `error`, ``takePositionsOutOfRange()``): it refuses to seek those
    /// (`_STATE`, librdkafka 2.0.2 to at least 2.15). The group is not told (the partitions stay
    /// this member's); the new start waits until the old fetcher has stopped. Only under the
    /// cooperative protocol: under an eager one librdkafka changes the assignment only as a
    /// whole, and this throws, naming the strategy. Not from a rebalance handler.
    ///
    /// - Parameter betweenUnassignAndAssign: for tests, `nil` by default: called between the
    ///   unassign and the assign. librdkafka stops the old fetcher on another thread, and on a
    ///   busy machine that may finish before the assign arrives (which matters when a rebalance
    ///   is pending: librdkafka 2.0.2 then takes both calls as the answers to its callbacks); a
    ///   test that blocks here until it has makes that order certain.
    public func restart(_ offsets: [PartitionOffset], betweenUnassignAndAssign: (() -> Void)? = nil) throws(KafkaError) {
        try checkOpen()
        guard !offsets.isEmpty else { return }
        let partitions = offsets.map(\.topicPartition)
        let protocolName = String(cString: rd_kafka_rebalance_protocol(handle.pointer))
        guard protocolName == "COOPERATIVE" else {
            throw KafkaError(
                .broker, "cannot restart \(partitions) alone: the group's rebalance protocol is \(protocolName), under which "
                    + "librdkafka changes the assignment only as a whole (use partition.assignment.strategy cooperative-sticky)",
                rdKafkaCode: RD_KAFKA_RESP_ERR__STATE.rawValue)
        }
        try NativePartitionList.withNativeList(partitions: partitions) { (list) throws(KafkaError) in
            if let error = KafkaError.consuming(rd_kafka_incremental_unassign(handle.pointer, list), while: "incremental unassign \(partitions)") {
                throw error
            }
        }
        betweenUnassignAndAssign?()
        try NativePartitionList.withNativeList(
            offsets.map { ($0.topicPartition, offset: $0.offset, metadata: nil) }
        ) { (list) throws(KafkaError) in
            if let error = KafkaError.consuming(rd_kafka_incremental_assign(handle.pointer, list), while: "incremental assign \(offsets)") {
                throw error
            }
        }
        // librdkafka keeps an application's pause across the assignment.
        try resume(partitions)
    }

    /// How many entries wait in the consumer queue: records, and the rebalances, statistics and
    /// consumer errors a poll serves (logs go to their own callback, not this queue). Not blocking. The queue is first in, first out for records and
    /// rebalances alike (librdkafka gives neither a priority), so a count taken now bounds the
    /// records later polls take before everything queued now has been served.
    public var queueLength: Int {
        Int(rd_kafka_queue_length(consumerQueue.pointer))
    }

    /// The offset of the next record to be returned for each partition, or `nil` where no
    /// record has been read yet.
    public func position(_ partitions: [TopicPartition]) throws(KafkaError) -> [TopicPartition: Int64?] {
        try checkOpen()
        return try NativePartitionList.withNativeList(partitions: partitions) { (list) throws(KafkaError) in
            if let error = KafkaError.from(rd_kafka_position(handle.pointer, list), while: "position") {
                throw error
            }
            var result: [TopicPartition: Int64?] = [:]
            for element in NativePartitionList.elements(of: list) {
                result[element.topicPartition] = element.offset >= 0 ? element.offset : nil
            }
            return result
        }
    }

    /// The group's committed offsets for `partitions`, with their metadata strings.
    /// *Blocking* up to `timeout`.
    ///
    /// Reads stably under `read_committed`: while a transactional offset commit for a partition
    /// is pending, librdkafka waits for it to finish. A partition without a committed offset is
    /// absent from the result.
    public func committed(_ partitions: [TopicPartition], timeout: Duration = .seconds(10)) throws(KafkaError) -> [TopicPartition: PartitionOffset] {
        try checkOpen()
        return try NativePartitionList.withNativeList(partitions: partitions) { (list) throws(KafkaError) in
            if let error = KafkaError.from(
                rd_kafka_committed(handle.pointer, list, timeout.timeoutMilliseconds),
                while: "read committed offsets of \(partitions)"
            ) ?? NativePartitionList.firstError(in: list, while: "read committed offset") {
                throw error
            }
            var result: [TopicPartition: PartitionOffset] = [:]
            for element in NativePartitionList.elements(of: list) where element.offset >= 0 {
                result[element.topicPartition] = PartitionOffset(
                    element.topicPartition, offset: element.offset, metadata: element.metadata
                )
            }
            return result
        }
    }

    /// The group's committed offsets for `partitions`, read stably as ``committed(_:timeout:)``
    /// reads them, but answered per partition at once: a partition whose offsets an open
    /// transaction still holds is reported in ``GroupOffsets/held``, where `committed` asks
    /// again, for every partition of the request, until all are free or it times out.
    /// *Blocking* up to `timeout`.
    ///
    /// An admin request (ListConsumerGroupOffsets) on this consumer's handle, sent to the
    /// coordinator librdkafka's admin cache names, which librdkafka does not forget when it
    /// answers NOT_COORDINATOR: after the group's coordinator moved, alternate with
    /// ``committed(_:timeout:)``, which follows it. Not on an admin
    /// client's: librdkafka (2.0.2 up to at least 2.4) answers a NOT_COORDINATOR there by asking
    /// the client's consumer group to look the coordinator up again, and a producer-type handle
    /// has none, so the process crashes on a null pointer (librdkafka issue #5040); a
    /// consumer's handle has its group.
    ///
    /// - Throws: when the group coordinator does not answer in time (retriable), or a
    ///   partition's answer is an error other than "held", naming the partition.
    public func committedOrHeld(_ partitions: [TopicPartition], timeout: Duration = .seconds(10)) throws(KafkaError) -> GroupOffsets {
        try checkOpen()
        // An empty list would ask for every partition the group has offsets for (and librdkafka
        // refuses it).
        guard !partitions.isEmpty else { return GroupOffsets() }
        return try handle.committedOrHeld(of: groupID, for: partitions, timeout: timeout)
    }

    /// Commits `offsets` with their metadata for the group, outside any transaction.
    /// *Blocking* until the broker answers.
    ///
    /// An exactly-once processor does not use this (it sends offsets to its transaction); it is
    /// here for tools, tests and at-least-once use.
    public func commit(_ offsets: [PartitionOffset]) throws(KafkaError) {
        try checkOpen()
        try NativePartitionList.withNativeList(
            offsets.map { ($0.topicPartition, offset: $0.offset, metadata: $0.metadata) }
        ) { (list) throws(KafkaError) in
            if let error = KafkaError.from(rd_kafka_commit(handle.pointer, list, 0), while: "commit \(offsets)")
                ?? NativePartitionList.firstError(in: list, while: "commit")
            {
                throw error
            }
        }
    }

    /// The partition's low watermark (oldest offset still in the log) and high watermark
    /// (the offset the next record will get), asked of the broker. *Blocking* up to `timeout`.
    ///
    /// Under `read_committed` the high watermark is the last stable offset (the first record of
    /// the oldest open transaction): librdkafka asks with the consumer's isolation level
    /// (ListOffsets v2). A `read_uncommitted` consumer's is the log's end.
    public func watermarkOffsets(_ partition: TopicPartition, timeout: Duration = .seconds(10)) throws(KafkaError) -> (low: Int64, high: Int64) {
        try checkOpen()
        var low: Int64 = 0
        var high: Int64 = 0
        if let error = KafkaError.from(
            rd_kafka_query_watermark_offsets(handle.pointer, partition.topic, partition.partition, &low, &high, timeout.timeoutMilliseconds),
            while: "query the watermarks of \(partition)"
        ) {
            throw error
        }
        return (low, high)
    }

    /// The partitions currently assigned to this consumer, sorted.
    public func assignment() throws(KafkaError) -> [TopicPartition] {
        try checkOpen()
        var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        if let error = KafkaError.from(rd_kafka_assignment(handle.pointer, &list), while: "read the assignment") {
            throw error
        }
        defer { if let list { rd_kafka_topic_partition_list_destroy(list) } }
        return NativePartitionList.elements(of: list).map(\.topicPartition).sorted()
    }

    /// The group membership a transactional producer needs to commit offsets for this group
    /// (``KafkaProducer/sendOffsetsToTransaction(_:group:timeout:)``). Take it fresh for each
    /// transaction: it carries the generation, which changes at every rebalance.
    public func groupMetadata() throws(KafkaError) -> ConsumerGroupMetadata {
        try checkOpen()
        guard let metadata = rd_kafka_consumer_group_metadata(handle.pointer) else {
            throw KafkaError(.broker, "this consumer has no group metadata: is `group.id` set?")
        }
        return ConsumerGroupMetadata(taking: metadata)
    }

    /// Leaves the group (revoking the assignment through the rebalance handler) and stops the
    /// consumer. *Blocking.* Later calls throw ``KafkaError/Code/closed``.
    public func close() throws(KafkaError) {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        fetchWakeup?.stop()
        if let error = KafkaError.from(closeNative(), while: "close consumer") {
            throw error
        }
    }

    /// `rd_kafka_consumer_close`, after leaving the assignment first where librdkafka needs it.
    ///
    /// librdkafka before 2.4 can hang for ever in `consumer_close` when a cooperative
    /// incremental assignment arrives while it closes (librdkafka #4527, fixed by #4528): the
    /// unassign the rebalance callback makes never gets its answer. It happened in this
    /// repository's tests when one consumer of a group closed right after another had left.
    /// Unsubscribing first and serving the queue until nothing is assigned means `close` never
    /// starts with a rebalance in flight. Records served meanwhile are dropped: the consumer is
    /// closing, and nothing read after the last commit counts.
    private func closeNative() -> rd_kafka_resp_err_t {
        if handle.cooperativeCloseCanHang, handle.context.hasSubscribed.load(ordering: .acquiring) {
            _ = rd_kafka_unsubscribe(handle.pointer)
            let deadline = ContinuousClock.now + Self.unsubscribeBeforeCloseTimeout
            var served = false
            while ContinuousClock.now < deadline {
                if let message = rd_kafka_consumer_poll(handle.pointer, 50) { rd_kafka_message_destroy(message) }
                if served, Self.assignmentIsEmpty(handle.pointer) { break }
                served = true
            }
        }
        return rd_kafka_consumer_close(handle.pointer)
    }

    /// How long ``close()`` waits for the assignment to be given up before closing anyway.
    static let unsubscribeBeforeCloseTimeout: Duration = .seconds(10)

    private static func assignmentIsEmpty(_ pointer: OpaquePointer) -> Bool {
        NativePartitionList.withAssignment(of: pointer) { _ in () } == nil
    }

    /// The member id the group coordinator gave this consumer, or `nil` before its first
    /// JoinGroup answer (and after it left the group).
    public var memberID: String? {
        guard let id = rd_kafka_memberid(handle.pointer) else { return nil }
        defer { rd_kafka_mem_free(handle.pointer, id) }
        let text = String(cString: id)
        return text.isEmpty ? nil : text
    }

    /// The consumer's librdkafka name (client id and instance).
    public var name: String { handle.name }

    private func checkOpen() throws(KafkaError) {
        if closed.load(ordering: .acquiring) {
            throw KafkaError(.closed, "the consumer \(handle.name) is closed")
        }
    }
}

/// A reference to a consumer's queue. ``KafkaConsumer``'s `deinit` releases it, while the
/// handle it belongs to is still alive.
struct ConsumerQueue: @unchecked Sendable {
    // @unchecked: an immutable pointer; librdkafka's queues are thread-safe.
    let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) {
        self.pointer = pointer
    }
}

/// The topic name of a message, converted once per topic and poll rather than once per record.
struct TopicNameCache {
    private var topic: OpaquePointer?
    private var name = ""

    mutating func name(of topic: OpaquePointer?) -> String {
        if topic != self.topic {  // starts as (nil, ""), which is right for a message without a topic
            self.topic = topic
            name = topic.map { String(cString: rd_kafka_topic_name($0)) } ?? ""
        }
        return name
    }
}
