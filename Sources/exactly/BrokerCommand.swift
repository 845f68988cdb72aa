import ArgumentParser
import DevBroker
import Logging

#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Synchronization

/// `exactly broker`: the embedded development broker.
struct BrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker",
        abstract: "Run the single-node development broker (not for production)."
    )

    @Option(help: "The address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "The port to listen on (0 picks a free one).")
    var port: Int = 9092

    @Option(help: "Keep the log and the group and transaction state in this directory.")
    var dataDir: String?

    @Option(help: "Partitions of topics created on first use or with -1 partitions.")
    var defaultPartitions: Int = 1

    @Flag(inversion: .prefixedNo, help: "Create unknown topics on first use.")
    var autoCreateTopics: Bool = true

    @Option(help: "Milliseconds a new group waits for more members before its first rebalance (Kafka's group.initial.rebalance.delay.ms; Kafka's default is 3000).")
    var initialRebalanceDelayMs: Int = 0

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .info
            return handler
        }
        let waiter = SignalWaiter()
        // A data directory that can no longer be written (the broker logged why) ends the
        // command as a signal would, but with a failing exit status.
        let broker = try await DevBroker.start(
            DevBrokerConfiguration(
                host: host, port: port, dataDirectory: dataDir,
                defaultPartitions: defaultPartitions, autoCreateTopics: autoCreateTopics,
                initialRebalanceDelay: .milliseconds(initialRebalanceDelayMs)),
            onStorageFailure: { _ in waiter.fire() })
        await Self.waitForTerminationSignal(waiter)
        Logger(label: "exactly.devbroker").info("stopping the development broker")
        await broker.stop()
        if broker.storageFailure != nil { throw ExitCode(1) }
    }

    /// Suspends until SIGINT or SIGTERM (or until `waiter` fires otherwise); the signal sources
    /// run on their own dispatch queue.
    private static func waitForTerminationSignal(_ waiter: SignalWaiter) async {
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let queue = DispatchQueue(label: "exactly.broker.signals")
        let sources = [SIGINT, SIGTERM].map { DispatchSource.makeSignalSource(signal: $0, queue: queue) }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            waiter.arm(continuation)
            for source in sources {
                source.setEventHandler { waiter.fire() }
                source.resume()
            }
        }
        for source in sources { source.cancel() }
    }
}

/// Resumes the waiting task once: on the first signal, or at once if the broker's data directory
/// failed before the task began to wait (the broker runs from the moment it is started).
private final class SignalWaiter: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Void, Never>?
        var fired = false
    }
    private let state = Mutex(State())

    func arm(_ c: CheckedContinuation<Void, Never>) {
        let firedAlready = state.withLock { state -> Bool in
            if !state.fired { state.continuation = c }
            return state.fired
        }
        if firedAlready { c.resume() }
    }

    func fire() {
        let c = state.withLock { state -> CheckedContinuation<Void, Never>? in
            defer { state.continuation = nil }
            state.fired = true
            return state.continuation
        }
        c?.resume()
    }
}
