import DevBroker
import Foundation
import Logging

/// The Kafka an integration test talks to: the one named by `KAFKA_BOOTSTRAP` when it is set,
/// otherwise a `DevBroker` started in-process on an ephemeral port for this test alone.
///
/// ```swift
/// try await TestKafka.with { kafka in
///     let topic = kafka.uniqueName("orders")
///     // connect a client to kafka.bootstrapServers ...
/// }
/// ```
public struct TestKafka: Sendable {
    /// "host:port" for the clients' `bootstrap.servers`.
    public let bootstrapServers: String
    /// The in-process broker, or nil when the test runs against `KAFKA_BOOTSTRAP`.
    public let broker: DevBroker?

    /// The external broker requested through the environment, if any.
    public static var externalBootstrap: String? {
        ProcessInfo.processInfo.environment["KAFKA_BOOTSTRAP"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// A topic, group or transactional id no other test (or earlier run against an external
    /// Kafka) uses.
    public func uniqueName(_ prefix: String) -> String {
        "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// Runs `body` against a fresh broker and stops it afterwards, whether `body` throws or not.
    public static func with<T: Sendable>(
        _ configuration: DevBrokerConfiguration = .init(port: 0),
        _ body: (TestKafka) async throws -> T
    ) async throws -> T {
        if let external = externalBootstrap {
            return try await body(TestKafka(bootstrapServers: external, broker: nil))
        }
        let broker = try await startBroker(configuration)
        do {
            let result = try await body(TestKafka(bootstrapServers: broker.bootstrapServers, broker: broker))
            await broker.stop()
            return result
        } catch {
            await broker.stop()
            throw error
        }
    }

    /// Starts an in-process broker (port 0 picks a free one), logging only warnings and worse so
    /// test output stays readable. For restart tests: stop it and start another on the same data directory.
    public static func startBroker(_ configuration: DevBrokerConfiguration = .init(port: 0)) async throws -> DevBroker {
        var logger = Logger(label: "exactly.devbroker.test")
        logger.logLevel = ProcessInfo.processInfo.environment["DEVBROKER_LOG"] == nil ? .warning : .debug
        return try await DevBroker.start(configuration, logger: logger)
    }

    /// A fresh, empty temporary directory for `--data-dir` tests; the caller removes it.
    public static func temporaryDirectory(_ prefix: String = "devbroker") throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }
}
