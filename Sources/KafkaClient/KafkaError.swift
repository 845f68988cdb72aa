import CRdKafka

/// An error from the Kafka client: what went wrong, librdkafka's error code and name when there
/// is one, and how the caller should react (``isRetriable``, ``requiresAbort``, ``isFatal``).
///
/// The classification follows librdkafka's: a *retriable* error may succeed if the same call is
/// made again; an error that *requires abort* means the current transaction must be aborted
/// (then a new one may begin); a *fatal* error means the client instance can no longer be used
/// (for a transactional producer, typically because it was fenced by a newer instance with the
/// same `transactional.id`).
public struct KafkaError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is. New codes may be added; switch with a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case invalidConfiguration
            case clientCreation
            case broker
            case deliveryFailed
            case closed
            case timedOut
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A configuration property was rejected, or typed settings contradict each other.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// librdkafka could not create the client.
        public static let clientCreation = Code(.clientCreation)
        /// librdkafka or the broker returned an error; see ``KafkaError/rdKafkaCode``.
        public static let broker = Code(.broker)
        /// A produced record could not be delivered.
        public static let deliveryFailed = Code(.deliveryFailed)
        /// The client was already closed.
        public static let closed = Code(.closed)
        /// The operation did not finish in the time allowed.
        public static let timedOut = Code(.timedOut)

        /// A one-line, human-readable rendering, as used in logs and error messages.
        public var description: String { String(describing: base) }
    }

    /// What kind of failure this is.
    public let code: Code
    /// A sentence that names what was wrong, the value, and what to do.
    public let message: String
    /// librdkafka's error code (`rd_kafka_resp_err_t`), when the failure came from librdkafka.
    public let rdKafkaCode: Int32?
    /// The same call may succeed if repeated.
    public let isRetriable: Bool
    /// The current transaction must be aborted before the producer can go on.
    public let requiresAbort: Bool
    /// The client can no longer be used; it must be closed and a new one created.
    public let isFatal: Bool
    /// Where the error was raised, for diagnosis.
    public let file: String
    /// Where the error was raised, for diagnosis.
    public let line: Int

    /// An error with the given classification.
    public init(
        _ code: Code,
        _ message: String,
        rdKafkaCode: Int32? = nil,
        isRetriable: Bool = false,
        requiresAbort: Bool = false,
        isFatal: Bool = false,
        file: String = #fileID,
        line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.rdKafkaCode = rdKafkaCode
        self.isRetriable = isRetriable
        self.requiresAbort = requiresAbort
        self.isFatal = isFatal
        self.file = file
        self.line = line
    }

    /// librdkafka's symbolic name for ``rdKafkaCode`` (e.g. `PRODUCER_FENCED`, `_TIMED_OUT`).
    public var rdKafkaName: String? {
        rdKafkaCode.map { String(cString: rd_kafka_err2name(rd_kafka_resp_err_t($0))) }
    }

    /// A one-line, human-readable rendering, as used in logs and error messages.
    public var description: String {
        var flags: [String] = []
        if isFatal { flags.append("fatal") }
        if requiresAbort { flags.append("transaction must be aborted") }
        if isRetriable { flags.append("retriable") }
        let name = rdKafkaName.map { " [\($0)]" } ?? ""
        let suffix = flags.isEmpty ? "" : " (\(flags.joined(separator: ", ")))"
        return "\(message)\(name)\(suffix)"
    }
}

extension KafkaError {
    /// Takes ownership of `error` (destroying it) and returns it as a `KafkaError`, or `nil`
    /// when `error` is `nil` (success).
    static func consuming(
        _ error: OpaquePointer?,
        while operation: String,
        file: String = #fileID,
        line: Int = #line
    ) -> KafkaError? {
        guard let error else { return nil }
        defer { rd_kafka_error_destroy(error) }
        return describing(error, while: operation, file: file, line: line)
    }

    /// `error` as a `KafkaError`, leaving it to its owner (an error inside a result event).
    static func describing(
        _ error: OpaquePointer,
        while operation: String,
        file: String = #fileID,
        line: Int = #line
    ) -> KafkaError {
        let code = rd_kafka_error_code(error)
        let text = String(cString: rd_kafka_error_string(error))
        return KafkaError(
            code == RD_KAFKA_RESP_ERR__TIMED_OUT ? .timedOut : .broker,
            "\(operation) failed: \(text)",
            rdKafkaCode: code.rawValue,
            isRetriable: rd_kafka_error_is_retriable(error) != 0,
            requiresAbort: rd_kafka_error_txn_requires_abort(error) != 0,
            isFatal: rd_kafka_error_is_fatal(error) != 0,
            file: file,
            line: line
        )
    }

    /// A `KafkaError` for a plain error code, or `nil` for `RD_KAFKA_RESP_ERR_NO_ERROR`.
    ///
    /// A plain code carries no transaction classification; `_FATAL` is resolved to the
    /// underlying fatal error of `handle` when one is given.
    static func from(
        _ code: rd_kafka_resp_err_t,
        while operation: String,
        handle: OpaquePointer? = nil,
        file: String = #fileID,
        line: Int = #line
    ) -> KafkaError? {
        guard code != RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
        if code == RD_KAFKA_RESP_ERR__FATAL, let handle {
            var buffer = [CChar](repeating: 0, count: 512)
            let underlying = rd_kafka_fatal_error(handle, &buffer, buffer.count)
            return KafkaError(
                .broker,
                "\(operation) failed with a fatal error: \(String(errorBuffer: buffer))",
                rdKafkaCode: underlying.rawValue,
                isFatal: true,
                file: file,
                line: line
            )
        }
        return KafkaError(
            code == RD_KAFKA_RESP_ERR__TIMED_OUT ? .timedOut : .broker,
            "\(operation) failed: \(String(cString: rd_kafka_err2str(code)))",
            rdKafkaCode: code.rawValue,
            isRetriable: Self.retriableCodes.contains(code.rawValue),
            isFatal: code == RD_KAFKA_RESP_ERR__FATAL,
            file: file,
            line: line
        )
    }

    /// librdkafka refused to move a partition's read position because the partition's fetcher
    /// is between states: not started yet (an incremental assignment starts its partitions only
    /// after the partitions revoked before it have stopped) or still stopping. The same seek
    /// succeeds once the fetcher has started, usually within milliseconds.
    public var isFetcherNotReady: Bool {
        rdKafkaCode == RD_KAFKA_RESP_ERR__STATE.rawValue || rdKafkaCode == RD_KAFKA_RESP_ERR__PREV_IN_PROGRESS.rawValue
    }

    /// Codes that librdkafka itself retries or that clear up on their own.
    private static let retriableCodes: Set<Int32> = [
        RD_KAFKA_RESP_ERR__QUEUE_FULL.rawValue,
        RD_KAFKA_RESP_ERR__TIMED_OUT.rawValue,
        RD_KAFKA_RESP_ERR__TRANSPORT.rawValue,
        RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN.rawValue,
        RD_KAFKA_RESP_ERR_NOT_COORDINATOR.rawValue,
        RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE.rawValue,
        RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS.rawValue,
        RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION.rawValue,
        RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE.rawValue,
        RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT.rawValue,
        RD_KAFKA_RESP_ERR_UNSTABLE_OFFSET_COMMIT.rawValue,
        RD_KAFKA_RESP_ERR_CONCURRENT_TRANSACTIONS.rawValue,
    ]
}
