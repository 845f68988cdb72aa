import ArgumentParser
import Checkpointing
import DevBroker
import Dispatch
import KafkaClient
import Logging
import Operators
import Runtime
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// `exactly run`: consume, process, produce and checkpoint, exactly once.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a pipeline: consume, process, produce, checkpoint (exactly once).",
        discussion: """
            Without `kafka.bootstrap` in the configuration, an embedded development broker is \
            started in this process (not for production). SIGTERM or Ctrl-C finishes the \
            current checkpoint, commits and exits 0; a second Ctrl-C exits at once (the open \
            transaction is then aborted by the broker and redone on the next start).
            """
    )

    @Option(help: "The pipeline configuration (YAML).")
    var config: String

    @Option(help: "Port of the embedded development broker, used when the configuration names no Kafka.")
    var embeddedBrokerPort: Int = 9092

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level `\(logLevel)` is not one of: \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "exactly")

        let text: String
        do {
            text = try String(contentsOfFile: config, encoding: .utf8)
        } catch {
            throw ValidationError("cannot read the configuration `\(config)`: \(error)")
        }
        let configuration: ProcessorConfiguration
        let pipeline: Pipeline
        do {
            configuration = try ProcessorConfiguration.parse(yaml: text, file: config)
            guard let node = configuration.pipeline else {
                throw ValidationError("\(config): `pipeline` is missing: declare the operators, e.g. pipeline: {operators: [{key_by: user}]} (see docs/PIPELINE.md)")
            }
            pipeline = try Pipeline(yamlNode: node, path: "pipeline")
        } catch let error as ConfigurationError {
            throw ValidationError("\(error)")
        } catch let error as ValidationError {
            throw error
        } catch {
            throw ValidationError("\(config): \(error)")
        }

        var broker: DevBroker?
        var bootstrap = configuration.bootstrapServers ?? []
        if bootstrap.isEmpty {
            let dataDirectory = configuration.checkpointDirectory + "/.embedded-broker"
            logger.notice("no kafka.bootstrap configured: starting the embedded development broker on 127.0.0.1:\(embeddedBrokerPort) (data in \(dataDirectory); not for production)")
            let started = try await DevBroker.start(DevBrokerConfiguration(port: embeddedBrokerPort, dataDirectory: dataDirectory, defaultPartitions: 8))
            broker = started
            bootstrap = [started.bootstrapServers]
        }

        let faults: FaultInjection?
        do {
            faults = try FaultInjection.fromEnvironment()
        } catch {
            throw ValidationError("\(error)")
        }
        let settings = ProcessorSettings(
            kafka: KafkaConfiguration(bootstrapServers: bootstrap, properties: configuration.kafkaProperties),
            application: configuration.application,
            instance: configuration.instance,
            sourceTopics: configuration.sourceTopics,
            sinkTopic: configuration.sinkTopic,
            deadLetterTopic: configuration.deadLetterTopic,
            checkpoint: configuration.checkpoint,
            retainedCheckpoints: configuration.retainedCheckpoints,
            transactionTimeout: configuration.transactionTimeout,
            faultInjection: faults
        )
        let store = try CheckpointStore(configuration: CheckpointStoreConfiguration(
            directory: configuration.checkpointDirectory,
            application: configuration.application,
            instance: settings.transactionalID
        ))
        let processor = try Processor(settings: settings, pipeline: pipeline, store: store, logger: logger)
        let signals = ShutdownSignals { processor.requestShutdown() }

        let outcome: Result<ProcessorStatistics, ProcessorFailure> = await withCheckedContinuation { continuation in
            // The processor blocks its thread for its whole life: a Dispatch thread, never the
            // cooperative pool.
            DispatchQueue(label: "exactly.processor").async {
                do throws(ProcessorFailure) {
                    try processor.run()
                    continuation.resume(returning: .success(processor.statistics))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        signals.cancel()
        if let broker { await broker.stop() }
        switch outcome {
        case .success(let statistics):
            logger.notice("stopped cleanly: \(statistics.recordsProcessed) records processed, \(statistics.recordsProduced) produced, \(statistics.checkpointsCompleted) checkpoints committed")
        case .failure(let failure):
            logger.critical("\(failure.message)")
            throw ExitCode(1)
        }
    }
}

/// SIGINT and SIGTERM ask the processor to finish with a checkpoint; a second signal exits at once.
private final class ShutdownSignals: Sendable {
    private let sources: Mutex<[any DispatchSourceSignal]>

    init(onFirst: @escaping @Sendable () -> Void) {
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let queue = DispatchQueue(label: "exactly.signals")
        let received = Atomic<Int>(0)
        let sources = [SIGINT, SIGTERM].map { DispatchSource.makeSignalSource(signal: $0, queue: queue) }
        for source in sources {
            source.setEventHandler {
                if received.add(1, ordering: .relaxed).newValue == 1 {
                    Logger(label: "exactly").notice("finishing the current checkpoint before stopping (signal again to stop at once)")
                    onFirst()
                } else {
                    Logger(label: "exactly").warning("stopping at once; the open transaction will be aborted and redone")
                    _exit(130)
                }
            }
            source.resume()
        }
        self.sources = Mutex(sources)
    }

    func cancel() {
        sources.withLock { $0.forEach { $0.cancel() } }
    }
}
