// The DevBroker module: a single-node Kafka-protocol broker with transactions, for development
// and tests. See docs/MODULES.md for what it owns and what it must not know about.
//
// Layers, outside in: `DevBroker` (listening socket, event loops, clock) -> `ConnectionHandler`
// (framing, one request at a time per connection) -> `KafkaRequest` / response types (the wire
// codec) -> `BrokerCore` (lock, held-back answers) -> `BrokerState` (topics, groups, offsets,
// transactions) -> `PartitionLog` (record batches as received) and `DataStore` (files).
import Logging
import NIOCore
import NIOPosix

/// A running development broker. It speaks the Kafka protocol well enough for librdkafka,
/// kcat and kafka-python, with Kafka's transaction semantics, on one node.
///
/// - Important: it is a development and test broker, not for production: no replication, no
///   authentication, no retention (records go only when a client deletes them, DeleteRecords,
///   and then only from reach: the bytes stay), no quotas, and everything it stores is kept in
///   memory too.
public final class DevBroker: Sendable {
    /// The address clients should bootstrap from, "host:port".
    public var bootstrapServers: String { "\(host):\(port)" }
    /// The host the broker listens on and advertises.
    public let host: String
    /// The port it listens on (the ephemeral port chosen when the configuration said 0).
    public let port: Int

    private let group: MultiThreadedEventLoopGroup
    private let channel: Channel
    private let core: BrokerCore
    private let ticker: RepeatedTask
    /// The hold on the data directory, if any, released by ``stop()``.
    private let lock: DataDirectoryLock?

    private init(
        host: String, port: Int, group: MultiThreadedEventLoopGroup, channel: Channel, core: BrokerCore, ticker: RepeatedTask,
        lock: DataDirectoryLock?
    ) {
        self.host = host
        self.port = port
        self.group = group
        self.channel = channel
        self.core = core
        self.ticker = ticker
        self.lock = lock
    }

    /// Locks the data directory (if any), loads it, binds, and returns once the broker accepts
    /// connections. Logs one line with the address when ready. The directory stays locked until
    /// ``stop()``: a second broker on it, in this process or another, is refused.
    ///
    /// - Parameter onStorageFailure: called once if a write to the data directory fails later
    ///   (a full disk, say), with what failed and what to do. The broker has then stopped
    ///   answering: it closes every connection rather than acknowledge a change it could not
    ///   keep, and everything it acknowledged before is in the directory. The caller should
    ///   stop (``stop()``) and report the message.
    /// - Throws: `DevBrokerError` for a bad configuration, a data directory that cannot be read
    ///   or written or that another broker is running on, or an address that cannot be bound.
    public static func start(
        _ configuration: DevBrokerConfiguration, logger: Logger = Logger(label: "exactly.devbroker"),
        onStorageFailure: @escaping @Sendable (String) -> Void = { _ in }
    ) async throws -> DevBroker {
        guard configuration.defaultPartitions > 0 else {
            throw DevBrokerError(.invalidConfiguration, "default partitions must be at least 1, got \(configuration.defaultPartitions)")
        }
        guard (0...65535).contains(configuration.port) else {
            throw DevBrokerError(.invalidConfiguration, "port must be in 0...65535, got \(configuration.port)")
        }
        guard configuration.initialRebalanceDelay >= .zero, configuration.initialRebalanceDelay <= .seconds(300) else {
            throw DevBrokerError(.invalidConfiguration, "the initial rebalance delay must be 0 to 300 s, got \(configuration.initialRebalanceDelay)")
        }
        // Locked before anything in it is read: loading rewrites files (see DataDirectoryLock).
        let lock = try configuration.dataDirectory.map { try DataDirectoryLock(directory: $0, remedies: configuration.remedies) }
        let store: DataStore?
        do {
            store = try configuration.dataDirectory.map { try DataStore(path: $0, remedy: configuration.remedies.unwritableDataDirectory) }
        } catch {
            lock?.release()
            throw error
        }
        // Every failure below closes the files and then lets the directory go: nothing of this
        // broker writes there any more, and a retry (on another port, say) may take it at once.
        // The store is closed here without the core's lock because no other thread has it yet:
        // no connection was accepted and the ticker was not started.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, configuration.threads))
        do {
            let state: BrokerState
            do {
                state = try BrokerState(configuration: configuration, store: store, logger: logger, nowMs: BrokerCore.wallMs())
            } catch let error as DevBrokerError {
                throw error
            } catch {
                // A directory that exists but cannot be written (left by another user, say) fails
                // here, on the first write of the state, with a file error of Foundation's.
                throw DevBrokerError(
                    .dataDirectory,
                    "cannot use the data directory \(configuration.dataDirectory ?? "") (\(FileErrorReason(error))); \(configuration.remedies.unwritableDataDirectory)")
            }
            let core = BrokerCore(state: state, logger: logger, onStorageFailure: onStorageFailure)
            let channel = try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 256)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder()))
                        try channel.pipeline.syncOperations.addHandler(ConnectionHandler(core: core, logger: core.logger))
                    }
                }
                .bind(host: configuration.host, port: configuration.port)
                .get()
            let port = channel.localAddress?.port ?? configuration.port
            // With port 0 the real port is known only now; Metadata must advertise it.
            core.setAdvertisedPort(port)
            let ticker = group.next().scheduleRepeatedTask(initialDelay: .milliseconds(50), delay: .milliseconds(50)) { _ in
                core.tick()
            }
            logger.info("Exactly development broker listening on \(configuration.host):\(port) (a development broker for tests and demos, not for production)")
            return DevBroker(host: configuration.host, port: port, group: group, channel: channel, core: core, ticker: ticker, lock: lock)
        } catch let error as IOError {
            try? await group.shutdownGracefully()
            store?.close()
            lock?.release()
            throw DevBrokerError(.listen, "cannot listen on \(configuration.host):\(configuration.port): \(String(cString: strerror(error.errnoCode))); \(configuration.remedies.unboundAddress)")
        } catch {
            try? await group.shutdownGracefully()
            store?.close()
            lock?.release()
            throw error
        }
    }

    /// What failed when a write to the data directory failed, and what to do; `nil` while the
    /// broker answers requests.
    public var storageFailure: String? {
        core.storageFailure
    }

    /// For tests: answers each of the next `count` EndTxn requests (commit or abort) `delay`
    /// after applying it, so that the client's call stays in flight, its outcome unknown to it.
    package func holdEndTxnAnswers(count: Int, for delay: Duration) {
        core.holdAnswers(to: .endTxn, count: count, for: TimeAmount(delay))
    }

    /// For tests: answers each of the next `count` Produce requests `delay` after writing its
    /// records, so that a client whose message timeout is shorter gives them up not knowing
    /// they were written (the case for which it must reset its sequence numbers).
    package func holdProduceAnswers(count: Int, for delay: Duration) {
        core.holdAnswers(to: .produce, count: count, for: TimeAmount(delay))
    }

    /// For tests: removes every member of consumer group `group` at once, as if their sessions
    /// had timed out; each learns at its next heartbeat that it lost its partitions.
    package func expireMembers(ofGroup group: String) {
        core.expireMembers(ofGroup: group)
    }

    /// For tests: how many EndTxn answers are on hold right now.
    package var heldEndTxnAnswers: Int {
        core.answerHolds.withLockedValue { $0[.endTxn]?.held ?? 0 }
    }

    /// Stops accepting, closes every connection and the data files, and unlocks the data
    /// directory. Idempotent.
    public func stop() async {
        ticker.cancel()
        try? await channel.close()
        core.close()
        try? await group.shutdownGracefully()
        // Last: once the event loops are gone no request can write to the directory, so the
        // next broker to take it is the only writer.
        lock?.release()
    }
}
