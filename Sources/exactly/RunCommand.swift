import ArgumentParser
import Checkpointing
import CoreMetrics
import DevBroker
import Dispatch
import KafkaClient
import KeyedState
import Logging
import Operators
import Prometheus
import Runtime
import Synchronization
import Foundation

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

    @Option(name: .customLong("replay-from-checkpoint"), help: ArgumentHelp(
        "Restore state and offsets from this checkpoint (an id, `latest`, or a manifest's path) instead of what the committed offsets name.",
        valueName: "id|latest|path"))
    var replayFrom: String?

    @Flag(help: "With --replay-from-checkpoint: produce nothing; report per partition what would be emitted and whether it matches the output already committed (exit 3: it differs; exit 4: it cannot tell).")
    var dryRun = false

    @Flag(help: "With --replay-from-checkpoint: replay even where the sink already holds committed output for the same input range.")
    var allowDuplicateOutput = false

    @Option(help: "For benchmarks: finish with a checkpoint after this many records and print the figures.")
    var stopAfterRecords: Int?

    @Option(help: "Log a progress line (records read and their rate, checkpoints committed, partitions assigned) every this many seconds, at level info; 0 logs none.")
    var progressInterval: Int = 30

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    @Option(help: "Serve Prometheus metrics at http://<metrics-host>:<port>/metrics (records, checkpoints, stalls, commits, assigned partitions, and librdkafka's queues and consumer lag), and health probes at /livez and /readyz (200 or 503 with the reason). Off unless given.")
    var metricsPort: Int?

    @Option(help: "The address the metrics and health endpoints listen on.")
    var metricsHost: String = "0.0.0.0"

    /// Partitions of the embedded broker's topics: its source topics, made at start, and those
    /// made on first use.
    static let embeddedBrokerPartitions: Int32 = 8

    /// How often librdkafka reports its statistics (queues, consumer lag) when metrics are on.
    static let librdkafkaStatisticsInterval: Duration = .seconds(10)

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
        guard progressInterval >= 0 else {
            throw ValidationError("--progress-interval \(progressInterval) is negative: give seconds between progress lines, or 0 for none")
        }
        if let metricsPort, !(0...65535).contains(metricsPort) {
            throw ValidationError("--metrics-port \(metricsPort) is not a port: use 1-65535 (or 0 for any free one)")
        }

        let text: String
        do {
            text = try ConfigurationFile.text(at: config)
        } catch {
            throw ValidationError("\(error)")
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
            // Its errors advise in this command's terms: the data lives under checkpoint.dir,
            // the port is --embedded-broker-port, and a real Kafka avoids it altogether.
            let remedies = DevBrokerConfiguration.Remedies(
                unwritableDataDirectory: "the embedded development broker keeps its data under `checkpoint.dir` (`\(configuration.checkpointDirectory)` in \(config)): set it to a directory this user can write, or name a Kafka in `kafka.bootstrap`",
                unboundAddress: "pick another --embedded-broker-port, stop what holds that port, or name a Kafka in `kafka.bootstrap`",
                // The usual holder is a processor on the same file, and this run a dry run
                // started beside it to audit it: that must read the running broker, not load
                // its files (the broker refused before touching them).
                dataDirectoryInUse: "most likely an `exactly run` with the same `checkpoint.dir` (`\(configuration.checkpointDirectory)` in \(config)): stop it, or set another `checkpoint.dir`; to --dry-run beside that processor, set `kafka.bootstrap` to its embedded broker (127.0.0.1:<its --embedded-broker-port>, 9092 by default) instead of starting another"
            )
            // Once its data directory cannot be written (it said why, with `remedies`), the
            // broker answers nothing and the run cannot commit again: it stops at once, as after
            // a crash, and the next start recovers from the last checkpoint Kafka committed.
            let started = try await DevBroker.start(
                DevBrokerConfiguration(port: embeddedBrokerPort, dataDirectory: dataDirectory, defaultPartitions: Int(Self.embeddedBrokerPartitions), remedies: remedies),
                onStorageFailure: { _ in
                    Logger(label: "exactly").critical("the embedded development broker stopped (above); stopping at once: the broker's next start finishes or aborts the transaction in flight, and this run's next start recovers from the checkpoint Kafka committed")
                    _exit(1)
                })
            broker = started
            bootstrap = [started.bootstrapServers]
            // An empty broker of our own: its source topics are made here, so that input may be
            // written after the start (on any other Kafka a missing source topic is refused).
            let (kafka, sources) = (KafkaConfiguration(bootstrapServers: bootstrap), configuration.sourceTopics)
            do {
                let created = try await BlockingCalls.run {
                    let admin = try KafkaAdmin(configuration: kafka, logger: logger)
                    let existing = try admin.topicNames()
                    let missing = sources.filter { !existing.contains($0) }
                    for topic in missing { try admin.createTopic(topic, partitions: Self.embeddedBrokerPartitions, ifNotExists: true) }
                    return missing
                }
                if !created.isEmpty {
                    logger.info("created source topic\(created.count == 1 ? "" : "s") \(created.joined(separator: ", ")) on the embedded broker (\(Self.embeddedBrokerPartitions) partitions)")
                }
            } catch {
                await started.stop()
                throw ValidationError("could not create the source topics \(sources) on the embedded development broker: \(error)")
            }
        }
        // Whatever ends the run, the embedded broker stops cleanly (its files stay consistent).
        do {
            try await process(configuration: configuration, pipeline: pipeline, bootstrap: bootstrap, logger: logger)
        } catch {
            if let broker { await broker.stop() }
            throw error
        }
        if let broker { await broker.stop() }
    }

    /// The run once the Kafka to use is known (`bootstrap`: the configured one or the embedded
    /// broker, which the caller stops afterwards).
    private func process(configuration: ProcessorConfiguration, pipeline: Pipeline, bootstrap: [String], logger: Logger) async throws {
        // Before anything makes a metric: swift-metrics binds each metric to the backend in
        // place when it is made.
        var metricsServer: MetricsServer?
        let health = HealthBoard(checkpoint: configuration.checkpoint)
        if let metricsPort {
            let registry = PrometheusCollectorRegistry()
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
            do {
                metricsServer = try await MetricsServer.start(host: metricsHost, port: metricsPort, registry: registry, health: health)
            } catch {
                throw ValidationError("\(error)")
            }
            let address = "http://\(metricsHost):\(metricsServer!.port)"
            logger.notice("metrics at \(address)/metrics, liveness at \(address)/livez, readiness at \(address)/readyz")
        }

        let faults: FaultInjection?
        let slowBarrier: SlowBarrier?
        do {
            faults = try FaultInjection.fromEnvironment()
            slowBarrier = try SlowBarrier.fromEnvironment()
        } catch {
            throw ValidationError("\(error)")
        }
        var configured = ProcessorSettings(
            kafka: KafkaConfiguration(
                bootstrapServers: bootstrap,
                statisticsInterval: metricsPort == nil ? nil : Self.librdkafkaStatisticsInterval,
                properties: configuration.kafkaProperties),
            application: configuration.application,
            instance: configuration.instance,
            sourceTopics: configuration.sourceTopics,
            sinkTopic: configuration.sinkTopic,
            deadLetterTopic: configuration.deadLetterTopic,
            checkpoint: configuration.checkpoint,
            retainedCheckpoints: configuration.retainedCheckpoints,
            transactionTimeout: configuration.transactionTimeout,
            faultInjection: faults,
            stopAfterRecords: stopAfterRecords
        )
        configured.staticMembership = configuration.staticMembership
        configured.sourceHeader = configuration.sourceHeader
        configured.deletedRecords = configuration.deletedRecords
        configured.slowBarrier = slowBarrier
        configured.health = metricsServer == nil ? nil : health
        configured.progressInterval = progressInterval > 0 ? .seconds(progressInterval) : nil
        if let lanes = configuration.processingLanes { configured.processingLanes = lanes }
        let settings = configured
        let store: CheckpointStore
        do {
            store = try CheckpointStore(configuration: CheckpointStoreConfiguration(
                directory: configuration.checkpointDirectory,
                application: configuration.application,
                instance: settings.transactionalID
            ))
        } catch {
            throw ValidationError("\(config): `checkpoint.dir` = `\(configuration.checkpointDirectory)` cannot hold checkpoints: \(error)")
        }
        var settingsWithReplay = settings
        if let replayFrom {
            // Verifying reads and checksums every state file: off the cooperative pool.
            let (application, transactionTimeout) = (configuration.application, configuration.transactionTimeout)
            let (checkpoint, manifest) = try await BlockingCalls.run {
                let checkpoint = try Self.resolveReplay(replayFrom, store: store, application: application)
                return (checkpoint, try store.manifest(checkpoint.description))
            }
            let offsets = Dictionary(uniqueKeysWithValues: manifest.partitions.map { (TopicPartition($0.topic, $0.partition), $0.nextOffset) })
            // The processor reads only `source.topics`: a partition of another topic would not be
            // replayed, unsaid.
            if let unread = ReplayAuditUnreadTopics(checkpoint: checkpoint, restored: offsets.keys, sourceTopics: configuration.sourceTopics) {
                throw ValidationError("\(unread)")
            }
            let replay = ReplayLineage(checkpoint: checkpoint, sink: configuration.sinkTopic)
            // Per partition of the checkpoint, a checkpoint of this replay that committed it at
            // some time (the store marks the committed ones, and retention keeps each replay's
            // newest committed one per partition). Read before Kafka's offsets: a commit of another instance of
            // this replay that the store shows is then also in what Kafka answers, and is not
            // taken for the application having gone on without the replay.
            // Each partition's checkpoints are listed once (each listing reads every manifest) and
            // serve this and the checks of lost offsets below.
            let (candidates, replayedBefore) = try await BlockingCalls.run { [offsets] in
                var candidates: [TopicPartition: [CheckpointCandidate]] = [:]
                var replayedBefore: [TopicPartition: CheckpointID] = [:]
                for partition in offsets.keys {
                    candidates[partition] = try store.candidates(for: partition)
                    replayedBefore[partition] = candidates[partition]!.first {
                        $0.knownCommitted && $0.replay?.isSameReplay(as: replay) == true
                    }?.id
                }
                return (candidates, replayedBefore)
            }
            let read = try await BlockingCalls.run { () -> Result<[TopicPartition: PartitionOffset], CommittedOffsetsUnreadable> in
                do throws(CommittedOffsetsUnreadable) {
                    try CommittedOffsetsReader.requireReachable(settings.kafka, logger: logger)
                } catch {
                    return .failure(error)
                }
                let reader = try KafkaConsumer(configuration: ConsumerConfiguration(kafka: settings.kafka, groupID: application), logger: logger)
                defer { try? reader.close() }
                // Waits while a transaction left open by a stopped instance holds them.
                return Result { () throws(CommittedOffsetsUnreadable) in
                    try CommittedOffsetsReader.read(
                        Array(offsets.keys), with: reader, transactionalID: settings.transactionalID, transactionTimeout: transactionTimeout, logger: logger)
                }
            }
            let kafkaCommitted: [TopicPartition: PartitionOffset]
            switch read {
            case .success(let read):
                kafkaCommitted = read
            case .failure(let unreadable):
                logger.critical("\(unreadable)")
                throw ExitCode(1)
            }
            // A refusal ends a replay before anything is produced; a dry run, which produces
            // nothing, says it and goes on.
            func refuse(_ refusal: String) throws {
                if !dryRun { throw ValidationError(refusal) }
                print("note: a replay would be refused: \(refusal)")
            }
            // A restart of this replay (same checkpoint, same sink) resumes the partitions it
            // committed: the checks leave them out (their committed offsets are past the
            // checkpoint's, which is no duplicate: they are not replayed again).
            // What replays the committed offsets come from.
            let lineages = try await BlockingCalls.run {
                kafkaCommitted.compactMapValues { offset -> ReplayLineage? in
                    guard case .checkpoint(let id) = OffsetMetadata.decode(offset.metadata) else { return nil }
                    return store.replayLineage(of: id)
                }
            }
            if let older = lineages.values.first(where: { $0.checkpoint == checkpoint && $0.sink == nil }) {
                throw ValidationError("Kafka's committed offsets are of \(older), written by an older exactly that did not record the replay's topic: "
                    + "this start cannot tell whether it resumes that replay or is a new one. Finish that replay with the version that started it, "
                    + "or start without --replay-from-checkpoint to go on from what it committed. Nothing was produced.")
            }
            // `latest` is looked up at each start: after a replay committed, it names the replay's
            // own newest checkpoint, and a restart with the same arguments would be another replay.
            if replayFrom == "latest", let under = Set(lineages.values).sorted(by: { $0.checkpoint < $1.checkpoint })
                .first(where: { $0.checkpoint != checkpoint && ($0.sink == nil || $0.sink == replay.sink) })
            {
                let refusal = ("--replay-from-checkpoint latest names checkpoint \(checkpoint) now, but Kafka's committed offsets are of \(under), "
                    + "which this start may be a restart of: pass --replay-from-checkpoint \(under.checkpoint) to resume it, start without "
                    + "--replay-from-checkpoint to go on as usual from what it committed, or pass --replay-from-checkpoint \(checkpoint) by id "
                    + "to start a new replay from it. Nothing was produced.")
                try refuse(refusal)
            }
            let resumed = Set(lineages.filter { $0.value.isSameReplay(as: replay) }.keys)
            // Replayed by this replay before, and gone on from since without it (or its offsets
            // lost or reset): replaying again would write their outputs into the topic twice,
            // whatever the override says (the override confirms repeating the sink's outputs of
            // before the replay, and a restart's arguments carry it).
            // Known from the store (a checkpoint of the replay it marked committed) or from Kafka
            // (the committed offset's metadata lists the replay among its history's forks, which
            // holds even when the store no longer reads the replay's checkpoints).
            var over = replayedBefore.filter { !resumed.contains($0.key) }.mapValues(Optional.some)
            for (partition, offset) in kafkaCommitted where !resumed.contains(partition) && over[partition] == nil {
                guard let forks = OffsetMetadata.forks(in: offset.metadata), forks.contains(where: replay.forked) else { continue }
                // The checkpoint Kafka names unreadable, and the replay's the last fork: whether it
                // is the replay's own (a restart resumes) cannot be told; the processor stops on
                // it, saying so.
                let named = OffsetMetadata.decode(offset.metadata)
                let namedReadable = candidates[partition]?.contains { named == .checkpoint($0.id) && $0.nextOffset != .max } ?? false
                if !namedReadable, let last = forks.last, replay.forked(last) { continue }
                over[partition] = .some(nil)
            }
            if !over.isEmpty {
                let named = over.sorted { $0.key < $1.key }.map { "\($0.key)" + ($0.value.map { " (checkpoint \($0))" } ?? "") }.joined(separator: ", ")
                let refusal = ("\(replay) committed \(named) before, and Kafka's committed offsets for them are no longer of this replay "
                    + "(the application went on without it, or the offsets were lost or reset): the replay is over for them, and replaying them "
                    + "again would write their outputs into `\(configuration.sinkTopic)` a second time. Start without --replay-from-checkpoint to go "
                    + "on as usual; to replay again, point `sink.topic` at a new topic. Nothing was produced.")
                try refuse(refusal)
            }
            if !resumed.isEmpty {
                logger.notice("\(replay) committed \(resumed.count) of its \(offsets.count) partitions already (\(resumed.sorted().map(\.description).joined(separator: ", "))): they resume from what it committed, and are not checked or replayed again")
            }
            let unresumed = offsets.filter { !resumed.contains($0.key) }
            // Lost offsets, or offsets another program set: the checks go by the newest
            // checkpoint known to have committed.
            let (committed, filledIn) = ReplayGuard.committedOrLastKnown(kafkaCommitted, partitions: unresumed.keys) { partition in
                ReplayGuard.lastKnownCommitted(among: candidates[partition] ?? [])
            }
            for partition in unresumed.keys.sorted() where kafkaCommitted[partition] == nil || committed[partition]?.metadata != kafkaCommitted[partition]?.metadata {
                let what = kafkaCommitted[partition].map { "offset \($0.offset), set by another program (it names no checkpoint)" }
                    ?? "no committed offset (never committed, or lost: the group's offsets expired or were deleted)"
                let instead = filledIn.contains(partition)
                    ? "the replay's checks go by checkpoint \(ReplayGuard.namedCheckpoints([partition: committed[partition]!]).joined()), the newest known to have committed it, at offset \(committed[partition]!.offset)"
                    : "no checkpoint is known to have committed it, so the replay's checks cannot tell whether its outputs are committed already"
                logger.warning("\(partition): Kafka holds \(what); \(instead)")
            }
            // A checkpoint ahead of the committed offsets did not commit: replaying it would
            // skip inputs whose outputs were aborted (`latest` picks the newest that verifies).
            let gaps = ReplayGuard.gaps(checkpointOffsets: unresumed, committed: committed)
            if !gaps.isEmpty {
                try refuse(ReplayGuard.refusal(checkpoint: checkpoint, skipping: gaps, named: ReplayGuard.namedCheckpoints(committed)))
            }
            if dryRun {
                // Only what the replay would still replay: resumed partitions go on from their commits.
                let restored = try await BlockingCalls.run { [unresumed] in
                    var restored: [TopicPartition: (state: PartitionState, offset: Int64)] = [:]
                    for (partition, offset) in unresumed {
                        restored[partition] = (try store.restore(partition, from: checkpoint), offset)
                    }
                    return restored
                }
                let (sources, sink, deadLetters) = (configuration.sourceTopics, configuration.sinkTopic, settings.deadLetterTopic)
                let audit = try await BlockingCalls.run { [restored] in
                    try ReplayAudit.run(
                        kafka: settings.kafka, application: application, pipeline: pipeline,
                        sourceTopics: sources, sinkTopic: sink, deadLetterTopic: deadLetters,
                        checkpoint: checkpoint, restored: restored, committed: committed, transactionTimeout: transactionTimeout, logger: logger
                    )
                }
                print("dry run of a replay from checkpoint \(checkpoint) (nothing was produced or committed):")
                for partition in resumed.sorted() {
                    print("  \(partition): resumes at offset \(kafkaCommitted[partition]!.offset), committed by this replay; nothing is replayed")
                }
                for entry in audit { print("  \(entry)") }
                if audit.contains(where: \.differs) {
                    throw ExitCode(3)
                }
                let uncompared = audit.filter { !$0.isComparable }
                if !uncompared.isEmpty {
                    if uncompared.contains(where: { $0.unattributedCommitted > 0 }) {
                        print("some outputs could not be compared: the sink holds outputs that no input can claim (no `\(SourceHeader.name)` header naming a source of this application; sink.source_header: false, or another producer)")
                    }
                    if uncompared.contains(where: \.sinkCompacted) {
                        print("some outputs could not be compared: `\(sink)` is compacted (`cleanup.policy` includes `compact`), so it may have dropped any committed output "
                            + "that a newer one of the same key followed; over a compacted sink a dry run can show only a committed output the replay would not make")
                    }
                    if uncompared.contains(where: { !$0.sinkTrimmedBelow.isEmpty }) {
                        print("some outputs could not be compared: `\(sink)` no longer holds all its outputs (its retention is shorter than the input's, or a DeleteRecords removed records), "
                            + "so a replayed output without a committed twin may have had one; a dry run from a newer checkpoint, whose outputs the sink still holds, can compare them")
                    }
                    throw ExitCode(4)
                }
                return
            }
            let overlaps = ReplayGuard.overlaps(checkpointOffsets: unresumed, committed: committed)
            if !overlaps.isEmpty, !allowDuplicateOutput {
                throw ValidationError(ReplayGuard.refusal(checkpoint: checkpoint, sink: configuration.sinkTopic, overlaps: overlaps))
            }
            settingsWithReplay.replayFrom = checkpoint
            settingsWithReplay.replayCheckedOffsets = kafkaCommitted
            settingsWithReplay.replayPartitions = Set(offsets.keys)
            settingsWithReplay.replayResumed = resumed
            logger.notice("replaying from checkpoint \(checkpoint)")
        } else if dryRun || allowDuplicateOutput {
            throw ValidationError("--dry-run and --allow-duplicate-output go with --replay-from-checkpoint")
        }
        let processor = try Processor(settings: settingsWithReplay, pipeline: pipeline, store: store, logger: logger)
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
        if let metricsServer { await metricsServer.stop() }
        switch outcome {
        case .success(let statistics):
            if stopAfterRecords != nil {
                print(Self.summary(statistics))
            }
            logger.notice("stopped cleanly: \(statistics.recordsProcessed) records processed, \(statistics.recordsProduced) produced, \(statistics.checkpointsCompleted) checkpoints committed; \(statistics.rebalancesDuringCapture) rebalances came during a capture, \(statistics.rebalancesDuringCommit) during a commit")
        case .failure(let failure):
            logger.critical("\(failure.message)")
            throw ExitCode(1)
        }
    }
}

extension RunCommand {
    /// The checkpoint `text` names: an id, `latest` (the newest that verifies), or the path of a
    /// manifest inside the configured checkpoint directory.
    static func resolveReplay(_ text: String, store: CheckpointStore, application: String) throws -> CheckpointID {
        let id = try locateReplay(text, store: store)
        // A manifest copied in from another application's store holds another pipeline's state.
        if let manifest = try? store.manifest(id.description), manifest.application != application {
            throw ValidationError("--replay-from-checkpoint `\(text)`: checkpoint \(id) is of application `\(manifest.application)`, not of `\(application)` (`application` in the configuration): its state is another pipeline's; replay a checkpoint of this application (`exactly checkpoints list` shows them)")
        }
        return id
    }

    /// The checkpoint `text` names in `store` (an id, `latest`, or a manifest's path), verified.
    private static func locateReplay(_ text: String, store: CheckpointStore) throws -> CheckpointID {
        let listings = store.listCheckpoints()
        if text == "latest" {
            for listing in listings where listing.manifest != nil {
                if store.verify(listing.checkpointID).isEmpty, let id = CheckpointID(listing.checkpointID) { return id }
            }
            throw ValidationError("--replay-from-checkpoint latest: no checkpoint in \(store.rootDirectory) verifies (`exactly checkpoints list` shows them)")
        }
        var name = text
        if text.contains("/") || text.hasSuffix(".json") {
            guard FileManager.default.fileExists(atPath: text) else {
                throw ValidationError("--replay-from-checkpoint `\(text)`: no such manifest file")
            }
            name = String((text.split(separator: "/").last ?? "").dropLast(text.hasSuffix(".json") ? 5 : 0))
            let expected = store.rootDirectory + "/manifests/" + name + ".json"
            let real = URL(fileURLWithPath: text).resolvingSymlinksInPath().path
            guard real == URL(fileURLWithPath: expected).resolvingSymlinksInPath().path else {
                throw ValidationError("--replay-from-checkpoint `\(text)` is not in the configured checkpoint store \(store.rootDirectory) (`checkpoint.dir`/`application`): pass a checkpoint of that store, by id or path (`exactly checkpoints list` shows them)")
            }
        }
        guard let id = CheckpointID(name), listings.contains(where: { $0.checkpointID == name }) else {
            let known = listings.prefix(5).map(\.checkpointID).joined(separator: ", ")
            throw ValidationError("--replay-from-checkpoint `\(text)`: no such checkpoint in \(store.rootDirectory) (newest: \(known.isEmpty ? "none" : known); or use `latest`)")
        }
        let problems = store.verify(name)
        guard problems.isEmpty else {
            throw ValidationError("--replay-from-checkpoint `\(text)` does not verify: \(problems.map { "\($0)" }.joined(separator: "; "))")
        }
        return id
    }

    /// One line of `key=value` figures for benchmark scripts.
    static func summary(_ statistics: ProcessorStatistics) -> String {
        func inSeconds(_ duration: Duration) -> Double {
            Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        }
        func milliseconds(_ duration: Duration?) -> String {
            guard let duration else { return "-" }
            return String(format: "%.3f", inSeconds(duration) * 1000)
        }
        let cpuMicroseconds = inSeconds(statistics.processCPUTime) * 1e6
        let seconds = inSeconds(statistics.runningTime)
        return "exactly records=\(statistics.recordsProcessed) seconds=\(String(format: "%.3f", seconds)) "
            + "records_per_second=\(String(format: "%.0f", Double(statistics.recordsProcessed) / max(seconds, 1e-9))) "
            + "checkpoints=\(statistics.checkpointsCompleted) stall_p50_ms=\(milliseconds(statistics.stall(percentile: 0.5))) "
            + "stall_p99_ms=\(milliseconds(statistics.stall(percentile: 0.99))) "
            + "stall_on_cpu_p50_ms=\(milliseconds(statistics.stallOnCPU(percentile: 0.5))) stall_on_cpu_p99_ms=\(milliseconds(statistics.stallOnCPU(percentile: 0.99))) "
            + "capture_p50_ms=\(milliseconds(statistics.capture(percentile: 0.5))) "
            + "capture_p99_ms=\(milliseconds(statistics.capture(percentile: 0.99))) "
            + "commit_p50_ms=\(milliseconds(statistics.commit(percentile: 0.5))) commit_p99_ms=\(milliseconds(statistics.commit(percentile: 0.99))) first_output_ms=\(milliseconds(statistics.firstOutputAfter)) "
            + "cpu_us_per_record=\(String(format: "%.2f", cpuMicroseconds / Double(max(statistics.recordsProcessed, 1))))"
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
