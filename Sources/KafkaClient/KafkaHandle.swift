import CRdKafka
import Logging

/// Owns one `rd_kafka_t` and the context its callbacks reach.
///
/// The only place a handle is created or destroyed. librdkafka documents the handle as safe
/// to use from several threads; the Swift state it reaches is in ``ClientContext``, which is
/// `Sendable`.
final class KafkaHandle: @unchecked Sendable {
    // @unchecked: `pointer` is immutable after init, and librdkafka's handle is thread-safe.
    let pointer: OpaquePointer
    let context: ClientContext
    private let unmanagedContext: Unmanaged<ClientContext>
    /// Whether `rd_kafka_destroy` would abort the process when this consumer never got an
    /// assignment (see ``destroyWouldAbort``).
    private let stickyAssignorBeforeFix: Bool
    /// Whether `rd_kafka_consumer_close` can hang on this consumer when an incremental
    /// assignment arrives while it closes (cooperative-sticky, librdkafka before 2.4.0, #4527).
    let cooperativeCloseCanHang: Bool

    /// Creates a handle of `type` with `properties`, wiring logs, statistics, delivery reports,
    /// rebalances and errors to `context`.
    init(
        type: rd_kafka_type_t,
        properties: [(String, String)],
        context: ClientContext,
        wantsDeliveryReports: Bool = false,
        wantsRebalance: Bool = false,
        wantsConsumerErrors: Bool = false
    ) throws(KafkaError) {
        let conf = try NativeConfiguration.make(properties + [("log.connection.close", "false")])
        let unmanaged = Unmanaged.passRetained(context)
        rd_kafka_conf_set_opaque(conf, unmanaged.toOpaque())
        rd_kafka_conf_set_log_cb(conf, kafkaLogCallback)
        if context.statistics != nil {
            rd_kafka_conf_set_stats_cb(conf, kafkaStatisticsCallback)
        }
        if wantsDeliveryReports {
            rd_kafka_conf_set_dr_msg_cb(conf, kafkaDeliveryCallback)
        }
        if wantsRebalance {
            rd_kafka_conf_set_rebalance_cb(conf, kafkaRebalanceCallback)
        }
        if wantsConsumerErrors {
            // Without it librdkafka logs each error itself (a partition's error once a second
            // for as long as it lasts) and the consumer learns nothing of it.
            rd_kafka_conf_set_error_cb(conf, kafkaErrorCallback)
        }
        var errorText = [CChar](repeating: 0, count: 512)
        // On success rd_kafka_new takes the configuration; on failure it is still ours.
        guard let handle = rd_kafka_new(type, conf, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(conf)
            unmanaged.release()
            throw KafkaError(
                .clientCreation,
                "librdkafka could not create a client: \(String(errorBuffer: errorText))"
            )
        }
        pointer = handle
        self.context = context
        unmanagedContext = unmanaged
        let cooperative = type == RD_KAFKA_CONSUMER
            && properties.contains { $0.0 == "partition.assignment.strategy" && $0.1.contains("cooperative-sticky") }
        stickyAssignorBeforeFix = cooperative && rd_kafka_version() < Self.firstVersionDestroyingStickyStateSafely
        cooperativeCloseCanHang = cooperative && rd_kafka_version() < Self.firstVersionClosingDuringAssignmentSafely
    }

    /// librdkafka 2.4.0: the first release whose cooperative consumer does not hang when an
    /// assignment arrives while it closes (librdkafka #4527, fixed by #4528).
    static let firstVersionClosingDuringAssignmentSafely: Int32 = 0x0204_0000

    /// librdkafka 2.3.0 (0x020300ff): the first release whose cooperative-sticky assignor
    /// survives a destroy before the first assignment (librdkafka #4312, fixed by #4381).
    static let firstVersionDestroyingStickyStateSafely: Int32 = 0x0203_0000

    /// Before 2.3.0, destroying a cooperative-sticky consumer that joined the group but never
    /// received its assignment fails an assertion (`assignor_state`) and aborts the process:
    /// a consumer closed while its first rebalance is in flight (fenced, or stopped early).
    /// A consumer that never subscribed never chose an assignor and is destroyed safely.
    var destroyWouldAbort: Bool {
        stickyAssignorBeforeFix && context.hasSubscribed.load(ordering: .acquiring)
            && !context.hasBeenAssigned.load(ordering: .acquiring)
    }

    deinit {
        if destroyWouldAbort {
            // Better a handle left for the process exit to reclaim than an abort that loses the
            // caller's own shutdown (its last log lines, its exit status). The consumer has been
            // closed, so it has left the group; only memory and idle threads stay.
            let version = String(cString: rd_kafka_version_str())
            context.logger.warning(
                "not destroying consumer \(name): librdkafka \(version) would abort destroying a cooperative-sticky consumer before its first assignment (librdkafka issue #4312, fixed in 2.3.0); its memory is reclaimed when the process exits")
            return
        }
        // Sendable wrappers for the teardown's thread: the pointer is not used here after it,
        // and the context (the callbacks' opaque) stays retained until the destroy returns.
        let handle = DestroyedHandle(pointer: pointer, context: unmanagedContext)
        let name = self.name
        guard BoundedTeardown.run(deadline: Self.destroyDeadline, { handle.destroy() }) else {
            let version = String(cString: rd_kafka_version_str())
            context.logger.warning(
                "librdkafka \(version) has not finished destroying \(name) after \(Self.destroyDeadline) (a known librdkafka hang, e.g. a consumer whose topic was deleted, librdkafka issue #4362): going on without it; its memory and threads are reclaimed when the process exits")
            return
        }
    }

    /// How long destroying a handle may take before it is left for the process exit. A closed
    /// consumer or an idle producer is destroyed in milliseconds.
    static let destroyDeadline: Duration = .seconds(10)

    /// What the teardown thread needs to destroy a handle.
    private struct DestroyedHandle: @unchecked Sendable {
        // @unchecked: the pointer moves to the teardown thread; nothing else uses it after.
        let pointer: OpaquePointer
        let context: Unmanaged<ClientContext>

        func destroy() {
            rd_kafka_destroy(pointer)
            context.release()
        }
    }

    /// The handle's name (client id and instance), as it appears in librdkafka's logs.
    var name: String { String(cString: rd_kafka_name(pointer)) }
}

private let kafkaLogCallback: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Void = {
    handle, level, facility, text in
    guard let context = ClientContext.of(handle) else { return }
    let logLevel: Logger.Level
    switch level {
    case ...3: logLevel = .error
    case 4: logLevel = .warning
    case 5, 6: logLevel = .info
    default: logLevel = .debug
    }
    let facilityText = facility.map { String(cString: $0) } ?? "-"
    let message = text.map { String(cString: $0) } ?? ""
    context.logger.log(
        level: logLevel,
        "\(message)",
        metadata: ["librdkafka.facility": "\(facilityText)"]
    )
}

private let kafkaStatisticsCallback: @convention(c) (OpaquePointer?, UnsafeMutablePointer<CChar>?, Int, UnsafeMutableRawPointer?) -> Int32 = {
    handle, json, length, _ in
    guard let context = ClientContext.of(handle), let json else { return 0 }
    let bytes = UnsafeRawBufferPointer(start: json, count: length)
    context.statistics?.record(json: bytes)
    return 0  // librdkafka frees the JSON
}

private let kafkaDeliveryCallback: @convention(c) (OpaquePointer?, UnsafePointer<rd_kafka_message_t>?, UnsafeMutableRawPointer?) -> Void = {
    handle, message, _ in
    guard let unmanaged = ClientContext.unmanaged(handle), let message else { return }
    let error = message.pointee.err
    if error == RD_KAFKA_RESP_ERR_NO_ERROR {
        // Borrowed, not retained: the context lives as long as the handle, and a retain per
        // record would bounce the context's reference count between the sending threads.
        _ = unmanaged._withUnsafeGuaranteedRef { $0.delivered.add(1, ordering: .relaxed) }
        return
    }
    let context = unmanaged.takeUnretainedValue()
    let topic = message.pointee.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? "?"
    let failure = DeliveryFailure(
        topic: topic,
        partition: message.pointee.partition,
        rdKafkaCode: error.rawValue,
        reason: String(cString: rd_kafka_err2str(error))
    )
    let firstOfItsKind = context.deliveries.withLock { $0.record(failure) }
    if error == RD_KAFKA_RESP_ERR__PURGE_QUEUE || error == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT {
        // Purged by an abort (or a close): expected, one per record in flight, not an error.
        context.logger.debug("\(failure)")
    } else if firstOfItsKind {
        // Once per topic and error until the producer reports the failures (a checkpoint's
        // error then says how many): a topic that is missing fails every record sent there.
        context.logger.error("\(failure) (further records for \(failure.topic) failing the same way are counted, not logged)")
    } else {
        context.logger.debug("\(failure)")
    }
}

private let kafkaErrorCallback: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafeMutableRawPointer?) -> Void = {
    handle, code, reason, _ in
    guard let context = ClientContext.of(handle) else { return }
    context.consumerErrorOccurred(code: code, text: reason.map { String(cString: $0) } ?? "")
}

private let kafkaRebalanceCallback: @convention(c) (OpaquePointer?, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?, UnsafeMutableRawPointer?) -> Void = {
    handle, error, partitions, _ in
    guard let handle else { return }
    RebalanceDispatch.handle(handle: handle, error: error, partitions: partitions)
}
