import CRdKafka
import Logging
import Synchronization

/// A Kafka producer, transactional when its configuration has a `transactional.id`.
///
/// The transaction protocol: ``initTransactions(timeout:)`` once (it fences any older producer
/// with the same transactional id and completes or aborts what that one left open); then per
/// transaction ``beginTransaction()``, ``send(_:)`` records,
/// ``sendOffsetsToTransaction(_:group:timeout:)``, and ``commitTransaction(timeout:)`` or
/// ``abortTransaction(timeout:)``.
///
/// Errors say how to react: ``KafkaError/requiresAbort`` (abort, then begin again),
/// ``KafkaError/isRetriable`` (call again), ``KafkaError/isFatal`` (this producer is finished;
/// for example it was fenced by a newer one).
///
/// A record that cannot be delivered is never dropped silently: it is logged, and the next
/// ``flush(timeout:)`` or ``commitTransaction(timeout:)`` throws
/// ``KafkaError/Code/deliveryFailed`` (within a transaction librdkafka also fails the commit).
///
/// - Important: Methods documented as *blocking* wait on the network. Call them from a
///   dedicated thread, never directly from Swift's cooperative thread pool.
public final class KafkaProducer: Sendable {
    private let handle: KafkaHandle
    private let closed = Atomic<Bool>(false)
    /// How often ``send(_:queueFullTimeout:)`` serves delivery reports: every this many sends
    /// of a thread.
    static let sendsPerServe: UInt32 = 256
    /// ``ProducerConfiguration/servesDeliveryReportsWhileSending``.
    private let servesWhileSending: Bool
    /// librdkafka's handle of each topic sent to, made at the first send to it.
    ///
    /// Naming the topic per record (`RD_KAFKA_V_TOPIC`) makes librdkafka look the topic up by
    /// name under its client-wide write lock for every record, which its broker threads contend
    /// for; a handle is looked up once.
    private let topics = Mutex<[String: TopicHandle]>([:])

    /// Creates a producer. For a transactional producer, call ``initTransactions(timeout:)`` next.
    ///
    /// - Throws: ``KafkaError/Code/invalidConfiguration`` naming a rejected property.
    public init(
        configuration: ProducerConfiguration,
        logger: Logger = Logger(label: "exactly.kafka.producer")
    ) throws(KafkaError) {
        let context = ClientContext(
            logger: logger,
            statistics: configuration.kafka.makeStatisticsBridge()
        )
        servesWhileSending = configuration.servesDeliveryReportsWhileSending
        handle = try KafkaHandle(
            type: RD_KAFKA_PRODUCER,
            properties: configuration.librdkafkaProperties,
            context: context,
            wantsDeliveryReports: true
        )
    }

    /// Registers the transactional id with the broker, fencing older producers that use it and
    /// completing or aborting the transaction they left open. *Blocking* up to `timeout`.
    public func initTransactions(timeout: Duration = .seconds(30)) throws(KafkaError) {
        try checkOpen()
        if let error = KafkaError.consuming(
            rd_kafka_init_transactions(handle.pointer, timeout.timeoutMilliseconds), while: "init transactions"
        ) {
            throw error
        }
    }

    /// Starts a transaction. Records sent from now on belong to it.
    public func beginTransaction() throws(KafkaError) {
        try checkOpen()
        if let error = KafkaError.consuming(rd_kafka_begin_transaction(handle.pointer), while: "begin transaction") {
            throw error
        }
    }

    /// Enqueues `record` for delivery and returns; delivery happens in the background.
    ///
    /// When librdkafka's queue is full, waits for deliveries to make room (*blocking*, up to
    /// `queueFullTimeout`) rather than failing.
    public func send(_ record: ProducerRecord, queueFullTimeout: Duration = .seconds(30)) throws(KafkaError) {
        try send(
            to: try topic(record.topic), partition: record.partition, key: record.key, value: record.value,
            headers: record.headers, timestampMilliseconds: record.timestampMilliseconds, queueFullTimeout: queueFullTimeout)
    }

    /// A topic resolved for sending: ``send(to:partition:key:value:headers:addingHeader:timestampMilliseconds:queueFullTimeout:)``
    /// through it skips finding the topic by name per record (a lock every sending thread
    /// shares). Resolving the same name again gives the same topic.
    public func topic(_ name: String) throws(KafkaError) -> ProducerTopic {
        try checkOpen()
        guard let pointer = topicHandle(name) else {
            let error = rd_kafka_last_error()
            throw KafkaError.from(
                error == RD_KAFKA_RESP_ERR_NO_ERROR ? RD_KAFKA_RESP_ERR__INVALID_ARG : error,
                while: "resolve topic \(name)", handle: handle.pointer)!
        }
        return ProducerTopic(name: name, pointer: pointer)
    }

    /// Enqueues one record to `topic` (resolved by this producer's ``topic(_:)``), with
    /// `headers` and then, when given, one more header whose value is copied from
    /// `addingHeader.value` during the call: a caller that stamps every record with a header of
    /// its own builds the value on the stack rather than in an array per record.
    ///
    /// Waits on a full queue as ``send(_:queueFullTimeout:)`` does.
    public func send(
        to topic: ProducerTopic, partition: Int32? = nil, key: [UInt8]?, value: [UInt8], headers: [KafkaHeader] = [],
        addingHeader extra: (name: String, value: UnsafeRawBufferPointer)? = nil, timestampMilliseconds: Int64? = nil,
        queueFullTimeout: Duration = .seconds(30)
    ) throws(KafkaError) {
        try checkOpen()
        var deadline: ContinuousClock.Instant?  // read the clock only when the queue is full
        while true {
            let result = produce(
                topic, partition: partition, key: key, value: value, headers: headers, extra: extra,
                timestampMilliseconds: timestampMilliseconds)
            if result == RD_KAFKA_RESP_ERR_NO_ERROR {
                // Serve delivery reports as we go, but not per record: each serve takes the
                // queue's lock, which librdkafka's threads contend for at high rates. Counted per
                // thread: a counter the producer shared was a cache line every sending thread
                // wrote per record, next to the `closed` flag each send reads.
                if servesWhileSending, exactly_count_send_on_this_thread() % Self.sendsPerServe == 0 {
                    rd_kafka_poll(handle.pointer, 0)
                }
                return
            }
            if result == RD_KAFKA_RESP_ERR__QUEUE_FULL {
                let until = deadline ?? ContinuousClock.now + queueFullTimeout
                deadline = until
                if ContinuousClock.now < until {
                    rd_kafka_poll(handle.pointer, 10)
                    continue
                }
            }
            throw KafkaError.from(result, while: "produce to \(topic.name)", handle: handle.pointer)!
        }
    }

    private func produce(
        _ topic: ProducerTopic, partition: Int32?, key: [UInt8]?, value: [UInt8], headers list: [KafkaHeader],
        extra: (name: String, value: UnsafeRawBufferPointer)?, timestampMilliseconds: Int64?
    ) -> rd_kafka_resp_err_t {
        var headers: OpaquePointer?
        if !list.isEmpty || extra != nil {
            headers = rd_kafka_headers_new(list.count + 1)
            for header in list {
                if let value = header.value {
                    value.withUnsafeBytes { bytes in
                        Self.addHeader(to: headers, name: header.name, value: bytes.baseAddress, count: bytes.count)
                    }
                } else {
                    Self.addHeader(to: headers, name: header.name, value: nil, count: 0)
                }
            }
            if let (name, value) = extra {
                // An empty value still needs a non-null pointer to be empty rather than null.
                Self.addHeader(to: headers, name: name, value: value.baseAddress ?? UnsafeRawPointer(bitPattern: 1), count: value.count)
            }
        }
        let result = value.withUnsafeBytes { value in
            withOptionalBytes(key) { key in
                exactly_produce(
                    handle.pointer,
                    topic.pointer,
                    partition ?? RD_KAFKA_PARTITION_UA,
                    key?.baseAddress,
                    key?.count ?? 0,
                    // A zero-length value still needs a non-null pointer to be an empty value
                    // rather than a null (tombstone) value.
                    value.baseAddress ?? UnsafeRawPointer(bitPattern: 1),
                    value.count,
                    headers,
                    timestampMilliseconds ?? 0
                )
            }
        }
        // librdkafka took the headers only on success.
        if result != RD_KAFKA_RESP_ERR_NO_ERROR, let headers {
            rd_kafka_headers_destroy(headers)
        }
        return result
    }

    /// Adds a header named `name`, its length given: passed as a C string, the name was copied
    /// into a new array per record (and then measured with `strlen`).
    private static func addHeader(to headers: OpaquePointer?, name: String, value: UnsafeRawPointer?, count: Int) {
        var name = name
        name.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { characters in
                // A non-null pointer for an empty name too: librdkafka copies `count` bytes from it.
                let start = characters.baseAddress ?? UnsafePointer(bitPattern: 1)!
                _ = rd_kafka_header_add(headers, start, characters.count, value, count)
            }
        }
    }

    /// librdkafka's handle of topic `name`, made at the first use and kept until the producer
    /// goes; `nil` when librdkafka refuses the name (`rd_kafka_last_error()` says why).
    private func topicHandle(_ name: String) -> OpaquePointer? {
        topics.withLock { topics in
            if let topic = topics[name] { return topic.pointer }
            guard let pointer = rd_kafka_topic_new(handle.pointer, name, nil) else { return nil }
            topics[name] = TopicHandle(pointer, of: handle)
            return pointer
        }
    }

    /// Waits until every enqueued record is delivered or has failed. *Blocking* up to `timeout`.
    ///
    /// - Throws: ``KafkaError/Code/deliveryFailed`` when any record since the last check could
    ///   not be delivered, ``KafkaError/Code/timedOut`` when records are still in flight.
    public func flush(timeout: Duration = .seconds(30)) throws(KafkaError) {
        try checkOpen()
        let result = rd_kafka_flush(handle.pointer, timeout.timeoutMilliseconds)
        try throwDeliveryFailures()
        if let error = KafkaError.from(result, while: "flush") {
            throw error
        }
    }

    /// Adds the consumer offsets to the open transaction, each with its metadata string, so
    /// that they commit (or abort) with the records. *Blocking* up to `timeout`.
    ///
    /// - Parameter group: the consuming group's metadata, from ``KafkaConsumer/groupMetadata()``
    ///   taken since the last rebalance; a stale generation fails the commit.
    public func sendOffsetsToTransaction(
        _ offsets: [PartitionOffset],
        group: ConsumerGroupMetadata,
        timeout: Duration = .seconds(30)
    ) throws(KafkaError) {
        try checkOpen()
        try NativePartitionList.withNativeList(
            offsets.map { ($0.topicPartition, offset: $0.offset, metadata: $0.metadata) }
        ) { (list) throws(KafkaError) in
            if let error = KafkaError.consuming(
                rd_kafka_send_offsets_to_transaction(handle.pointer, list, group.pointer, timeout.timeoutMilliseconds),
                while: "send offsets to the transaction"
            ) {
                throw error
            }
        }
    }

    /// Commits the open transaction: its records become visible to `read_committed` readers
    /// and its offsets become the group's committed offsets, together. *Blocking* up to
    /// `timeout` (it flushes first).
    ///
    /// On an error that ``KafkaError/requiresAbort``, call ``abortTransaction(timeout:)``.
    /// A ``KafkaError/isRetriable`` error (e.g. a timeout) means the outcome is not known yet:
    /// call this again.
    public func commitTransaction(timeout: Duration = .seconds(60)) throws(KafkaError) {
        try checkOpen()
        if let error = KafkaError.consuming(
            rd_kafka_commit_transaction(handle.pointer, timeout.timeoutMilliseconds), while: "commit transaction"
        ) {
            discardDeliveryFailures()  // the commit error already says the records failed
            throw error
        }
        try throwDeliveryFailures()
    }

    /// Aborts the open transaction: its records stay invisible to `read_committed` readers and
    /// its offsets are not committed. *Blocking* up to `timeout`.
    public func abortTransaction(timeout: Duration = .seconds(60)) throws(KafkaError) {
        try checkOpen()
        let error = KafkaError.consuming(
            rd_kafka_abort_transaction(handle.pointer, timeout.timeoutMilliseconds), while: "abort transaction"
        )
        discardDeliveryFailures()  // aborted records were never meant to be seen
        if let error { throw error }
    }

    /// Serves pending delivery reports and statistics, waiting up to `timeout` for one.
    public func poll(timeout: Duration = .zero) {
        rd_kafka_poll(handle.pointer, timeout.timeoutMilliseconds)
    }

    /// Records (and delivery reports) not yet acknowledged and served: zero once everything
    /// sent so far is delivered. Call ``poll(timeout:)`` to serve reports.
    public var outstandingCount: Int {
        Int(rd_kafka_outq_len(handle.pointer))
    }

    /// The number of records delivered since the producer was created.
    public var deliveredCount: Int {
        handle.context.delivered.load(ordering: .relaxed)
    }

    /// Flushes what is still queued (up to `timeout`) and stops the producer. *Blocking.*
    ///
    /// - Throws: ``KafkaError/Code/deliveryFailed`` or ``KafkaError/Code/timedOut`` when records
    ///   could not be delivered in time: they are not lost silently.
    public func close(timeout: Duration = .seconds(30)) throws(KafkaError) {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let result = rd_kafka_flush(handle.pointer, timeout.timeoutMilliseconds)
        try throwDeliveryFailures()
        if let error = KafkaError.from(result, while: "flush before close") {
            throw KafkaError(
                .timedOut,
                "\(error.message): \(rd_kafka_outq_len(handle.pointer)) records were still queued when the producer closed",
                rdKafkaCode: error.rdKafkaCode
            )
        }
    }

    /// The producer's librdkafka name (client id and instance).
    public var name: String { handle.name }

    private func throwDeliveryFailures() throws(KafkaError) {
        let (count, first) = handle.context.deliveries.withLock { ledger in
            defer { ledger.clear() }
            return (ledger.failureCount, ledger.firstFailure)
        }
        guard let first else { return }
        throw KafkaError(
            .deliveryFailed,
            "\(count) record(s) were not delivered; the first: \(first)",
            rdKafkaCode: first.rdKafkaCode
        )
    }

    private func discardDeliveryFailures() {
        handle.context.deliveries.withLock { $0.clear() }
    }

    private func checkOpen() throws(KafkaError) {
        if closed.load(ordering: .acquiring) {
            throw KafkaError(.closed, "the producer \(handle.name) is closed")
        }
    }
}

private func withOptionalBytes<R>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
    guard let bytes else { return body(nil) }
    return bytes.withUnsafeBytes { buffer in
        // An empty key must still be a key (not a null key): give it a non-null pointer.
        body(buffer.baseAddress == nil ? UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: 1), count: 0) : buffer)
    }
}

/// One librdkafka topic handle, destroyed with the last reference to it. It keeps the client
/// alive: librdkafka wants topic handles destroyed before their client.
private final class TopicHandle: @unchecked Sendable {
    // @unchecked: the pointer is immutable and librdkafka's topic handles are thread-safe.
    let pointer: OpaquePointer
    private let client: KafkaHandle

    init(_ pointer: OpaquePointer, of client: KafkaHandle) {
        self.pointer = pointer
        self.client = client
    }

    deinit {
        rd_kafka_topic_destroy(pointer)
    }
}

/// A topic resolved by ``KafkaProducer/topic(_:)`` for sending. Valid for as long as the producer
/// that resolved it exists (the producer keeps librdkafka's handle until then), and only with it.
public struct ProducerTopic: @unchecked Sendable {
    // @unchecked: the pointer is immutable and librdkafka's topic handles are thread-safe.
    /// The topic's name.
    public let name: String
    let pointer: OpaquePointer
}
