import Checkpointing
import CoreMetrics
import KafkaClient
import KeyedState
import Logging
import Operators
import Synchronization
import Dispatch

#if canImport(Glibc)
import Glibc
#endif

/// Why a processor stopped with a failure.
public struct ProcessorFailure: Error, CustomStringConvertible, Sendable {
    /// What happened and what to do.
    public let message: String
    public var description: String { message }
}

/// The exactly-once processing loop: consumes, runs the pipeline per partition, produces into
/// the epoch's transaction, and performs the ``CheckpointCoordinator``'s actions (docs/RUNTIME.md).
///
/// The thread that calls ``run()`` (the processing thread) polls, hands each partition's
/// records to that partition's ``ProcessingLane``, and checkpoints; the lanes run the pipeline
/// and produce, in parallel. A capture is a barrier queued in every lane behind the records
/// handed over so far: each lane captures its partitions when it reaches it (so a snapshot and
/// its offset agree, and the epoch's outputs are all sent), while the processing thread goes on
/// polling and handing over the next epoch's records.
///
/// - Important: ``run()`` blocks the calling thread until the processor stops; call it from a
///   dedicated thread, never from Swift's cooperative pool. The processor's own state is
///   confined to that thread (the rebalance handler runs on it too, inside `poll`); the only
///   entries from other threads are ``requestShutdown()``, the store's completion reports, and
///   the lanes (see ``ProcessingLane`` for what each owns).
public final class Processor: @unchecked Sendable {
    // @unchecked: see the class documentation; cross-thread entries are an Atomic and a Mutex.
    private let settings: ProcessorSettings
    /// The replay this run is, if it runs one (``ProcessorSettings/replayFrom`` into the sink).
    private var replayLineage: ReplayLineage? {
        settings.replayFrom.map { ReplayLineage(checkpoint: $0, sink: settings.sinkTopic) }
    }
    /// Who this process is, for explaining a fence wherever one surfaces.
    private let identity: InstanceIdentity
    private let pipeline: Pipeline
    private let store: any CheckpointStorage
    private let logger: Logger
    private let shutdown = Atomic<Bool>(false)
    private let inbox = ProcessorInbox()
    /// Sends each checkpoint's offsets to the transaction and commits it, off the processing
    /// thread: the round trips (AddOffsetsToTxn and TxnOffsetCommit behind the epoch's last
    /// produce requests, 2-20 ms; EndTxn, 1 ms to tens of ms on a busy machine) would otherwise
    /// leave the lanes without records. The calls go one at a time, as librdkafka requires;
    /// abort waits for them (``awaitTransactionCalls()``).
    private let transactionCalls = DispatchQueue(label: "exactly.transaction")
    /// The checkpoint whose offsets are being sent, if any.
    private var offsetsInFlight: CheckpointID?
    /// The checkpoint whose commit is in flight, if any. Until its outcome is known the
    /// coordinator hears nothing else that could abort it: no timeout ticks, and a rebalance
    /// first waits for the outcome (``settleCommit()``). An abort decided while the commit
    /// might still succeed would roll state back behind what Kafka committed.
    private var commitInFlight: CheckpointID?
    /// Runs what follows a commit (``recordCommitted(_:)``) in order, off the processing thread.
    private let bookkeeping = DispatchQueue(label: "exactly.checkpoint.bookkeeping")
    /// Lists the cluster's topics when the consumer reports a source topic missing (a metadata
    /// request, up to 10 s when the cluster is slow: not on the processing thread).
    private let topicListing = DispatchQueue(label: "exactly.topic-listing")
    /// Whether a source topic went from the cluster (``SourceTopicWatch``).
    private var sourceWatch: SourceTopicWatch
    /// The Kafka settings the processor's clients use: the configured ones, with the
    /// transactional id as client id.
    private var clientKafka: KafkaConfiguration {
        var kafka = settings.kafka
        kafka.clientID = settings.transactionalID
        return kafka
    }

    private var consumer: KafkaConsumer?
    private var producer: KafkaProducer?
    private var coordinator: CheckpointCoordinator
    private var partitions: [TopicPartition: PartitionRuntime] = [:]
    private var lanes: [ProcessingLane] = []
    private var transactionOpen = false
    private var faults: FaultInjection?
    private var shutdownForwarded = false
    private var stopped = false
    private var failure: String?
    /// The capture in flight: its barriers are queued in the lanes, and not all have reported.
    private var pendingCapture: PendingCapture?
    /// Every batch of polled records handed to the lanes and not yet freed, oldest first.
    private var retiringBatches: [PolledBatch] = []
    private var startedAt = ContinuousClock.now
    /// The periodic progress line, when ``ProcessorSettings/progressInterval`` asks for one.
    private var progress: ProgressLog?
    /// A checkpoint whose offsets are in the transaction, waiting for its outputs to be
    /// delivered before the coordinator hears "offsets sent": the commit then finds nothing to
    /// flush, so the stall is the EndTxn round trip, not the epoch's produce backlog.
    private var awaitingDelivery: CheckpointID?
    /// The checkpoint whose commit was issued last: issuing it again is a retry.
    private var lastCommitIssued: CheckpointID?
    /// Failed tries of the abort under way, and when the last was logged.
    private var abortRetries = 0
    private var abortRetryLoggedAt: ContinuousClock.Instant?
    /// Assigned partitions held paused until their committed offsets can be read
    /// (``CommittedOffsetsWait``); they are read on `offsetReads`, one try at a time.
    private var offsetsWait: CommittedOffsetsWait
    private let offsetReads = DispatchQueue(label: "exactly.committed-offsets")
    /// Set at close: a read queued on `offsetReads` is not tried any more.
    private let offsetReadsCancelled = Atomic<Bool>(false)
    /// Whether the next background read of committed offsets answers per partition (or is the
    /// consumer's `committed`): they alternate after failures (``readCommittedOffsets(_:after:)``).
    private var offsetsReadPerPartition = true
    /// Partitions restored after that wait whose fetchers librdkafka had not started when they
    /// were to be sought: paused until a seek succeeds.
    private var seeksAwaitingFetchers = SeeksAwaitingFetchers()
    /// Whether the processing thread is inside the consumer's poll (rebalance callbacks run there).
    private var pollInProgress = false
    /// Partitions an abort rolled back inside the poll in progress (see ``poll(_:waiting:)``).
    private var rolledBackDuringPoll: Set<TopicPartition> = []
    /// Partitions librdkafka stopped fetching, their position out of range, until they are
    /// started again (``StoppedFetchers``, ``PositionOutOfRange``).
    private var stoppedFetchers = StoppedFetchers()
    /// Log range reads that came back, handled by the loop (never inside a poll, where a
    /// restart would change the assignment under a rebalance callback).
    private var logRangeReads: [(StoppedFetchers.Read, try: Int, Result<LogRange, any Error>)] = []
    /// Whether a revocation that a restart of stopped partitions may have answered can still
    /// wait in the consumer queue (``RestartWindow``). librdkafka (2.0.2) may hold a revocation
    /// that no poll has served yet, and then takes the restart's unassign as the application's
    /// answer, and its assign as the answer to the assignment that follows; the member then
    /// rejoins the group without the revoked partitions before the handler has committed what
    /// it processed of them (`rdkafka_cgrp.c` 3313-3370, 3395-3415, 3495-3513). No call tells
    /// whether a revocation is waiting, so while the window is open a revocation the handler
    /// serves is handled as lost (``revoke(_:lost:answeredByRestart:)``), and a checkpoint's
    /// offsets are not sent (``offsetsAwaitingRestartWindow``).
    private var restartWindow = RestartWindow()
    /// A checkpoint's offsets held back while the restart window is open: sent as they are, the
    /// group's current generation would let them commit partitions the member may already have
    /// told the group it no longer owns (the newcomer reads their last commit). The loop polls,
    /// whether or not the lanes have room, until the window closes, then sends them; a
    /// revocation served meanwhile aborts the checkpoint instead.
    private var offsetsAwaitingRestartWindow: (id: CheckpointID, offsets: [PartitionOffset])?
    /// The partitions paused while offsets wait for the restart window, so that the polls that
    /// close it take no records past the lanes' limits (``RestartWindowPause``).
    private var restartWindowPause = RestartWindowPause()
    /// Until when the loop takes no input after a restart (the test switch
    /// ``ProcessorSettings/holdInputAfterRestart``).
    private var inputHeldUntil: ContinuousClock.Instant?

    /// What the processor has done so far (read after ``run()`` returns).
    public private(set) var statistics = ProcessorStatistics()
    /// The same figures as they happen, for a metrics endpoint.
    private let metrics: ProcessorMetrics
    /// Whether this processor is alive and ready, for the health endpoints.
    private var health: HealthBoard? { settings.health }

    /// A processor for `settings` running `pipeline`, checkpointing into `store`.
    public init(settings: ProcessorSettings, pipeline: Pipeline, store: any CheckpointStorage, logger: Logger) throws {
        // Pass-through properties are applied after the processor's own: one it manages would
        // replace a setting exactly-once depends on (a configuration file is refused earlier,
        // with its line).
        if let refused = ManagedKafkaProperties.firstRefused(in: settings.kafka.properties) {
            throw ProcessorFailure(message: "the librdkafka property `\(refused.name)` may not be set for a processor: \(refused.refusal)")
        }
        self.settings = settings
        identity = InstanceIdentity(settings)
        self.pipeline = pipeline
        self.store = store
        self.logger = logger
        metrics = ProcessorMetrics(
            application: settings.application, instance: settings.instance,
            factory: settings.metricsFactory ?? MetricsSystem.factory)
        let incarnation = try store.claimIncarnation(instance: settings.transactionalID)
        coordinator = CheckpointCoordinator(
            settings: settings.checkpoint,
            firstID: CheckpointID(instance: settings.transactionalID, incarnation: incarnation, sequence: 1),
            restoredFrom: nil
        )
        faults = settings.faultInjection
        sourceWatch = SourceTopicWatch(sourceTopics: settings.sourceTopics, grace: settings.missingSourceTopicGrace)
        offsetsWait = CommittedOffsetsWait(transactionTimeout: settings.transactionTimeout)
    }

    /// Asks the processor to finish: it completes a checkpoint, commits, and ``run()`` returns.
    /// Safe to call from any thread (a signal handler's task, for instance).
    public func requestShutdown() {
        shutdown.store(true, ordering: .releasing)
    }

    /// Runs until shutdown (returns) or a failure (throws). *Blocking.*
    public func run() throws(ProcessorFailure) {
        startedAt = .now
        progress = settings.progressInterval.map { ProgressLog(interval: $0, startingAt: startedAt) }
        let cpuAtStart = CPUTime.ofProcess()
        defer {
            statistics.runningTime = .now - startedAt
            statistics.processCPUTime = CPUTime.ofProcess() - cpuAtStart
            statistics.recordsProduced = lanes.reduce(0) { $0 + $1.recordsProduced }
            statistics.firstOutputAfter = lanes.compactMap(\.firstOutputAt).min().map { $0 - startedAt }
        }
        do {
            try start()
            health?.update { $0.enter(.running, at: .now) }
            while !stopped {
                health?.loopTurned()
                if shutdown.load(ordering: .acquiring), !shutdownForwarded {
                    shutdownForwarded = true
                    health?.update { $0.enter(.stoppingOnRequest, at: .now) }
                    logger.info("shutdown requested: finishing with a checkpoint")
                    try perform(coordinator.forceCheckpoint(.shutdown, now: .now))
                }
                try throwIfALaneFailed()
                try drainInbox(waiting: nil)
                try checkDelivery()
                try tick()
                if stopped { break }
                if !seeksAwaitingFetchers.isEmpty { try seekAndResume(seeksAwaitingFetchers.due(at: .now)) }
                watchSourceTopics()
                try handlePositionsOutOfRange()
                logProgressIfDue()
                if let limit = settings.stopAfterRecords, statistics.recordsProcessed >= limit {
                    requestShutdown()
                }
                freeProcessedBatches()
                producer?.poll()  // the lanes' delivery reports (they do not serve them)
                if coordinator.acceptsInput, lanes.allSatisfy(\.hasRoom), !inputHeldAfterRestart, let consumer {
                    // The lanes' capture reports do not wake a poll: while they are awaited, a
                    // short wait keeps the checkpoint from idling behind an input lull.
                    let wait: Duration = pendingCapture == nil ? .milliseconds(5) : .milliseconds(1)
                    handOver(try poll(consumer, waiting: wait))
                } else if offsetsAwaitingRestartWindow != nil, let consumer {
                    // Offsets wait for what a restart left in the queue to be served: polled
                    // whatever the lanes' room or a forced checkpoint, with the fetching
                    // partitions paused first, so that the poll drops their queued records
                    // instead of handing them to lanes without room (``RestartWindowPause``).
                    pauseWhileOffsetsAwaitTheRestartWindow(consumer)
                    handOver(try poll(consumer, waiting: .milliseconds(1)))
                } else {
                    try drainInbox(waiting: .milliseconds(1))
                }
                try sendOffsetsOnceTheRestartWindowCloses()
                try resumeOnceOffsetsNoLongerWait()
            }
        } catch {
            // Logged now, as the rebalance handler and the coordinator's stop do: closing can
            // take seconds (a consumer whose topic is gone: up to the destroy deadline), and the
            // caller reports the failure only after that.
            if failure == nil {
                failure = (error as? ProcessorFailure)?.message ?? explain(error)
                logger.error("stopping: \(failure!)")
            }
        }
        close()
        health?.update { [failure] in $0.enter(.stopped(failure: failure), at: .now) }
        if let failure {
            throw ProcessorFailure(message: failure)
        }
    }

    // MARK: Start and stop

    private func start() throws {
        let kafka = clientKafka
        try checkTopics(kafka)
        let producer = try KafkaProducer(
            configuration: ProducerConfiguration(
                kafka: kafka,
                transactionalID: settings.transactionalID,
                transactionTimeout: settings.transactionTimeout,
                // Served on the processing thread, once per loop of `run()`: the lanes, one of
                // which is the bottleneck on a small machine, only send.
                servesDeliveryReportsWhileSending: false
            ),
            logger: logger
        )
        self.producer = producer
        let laneCount = max(1, settings.processingLanes)
        if let slowBarrier = settings.slowBarrier {
            logger.warning("test switch EXACTLY_SLOW_BARRIER_MS is on: lane 0 waits \(slowBarrier.delay) at each checkpoint barrier\(laneCount > 1 ? "" : " (with one lane nothing goes on past a barrier meanwhile)")")
        }
        lanes = (0..<laneCount).map {
            ProcessingLane(
                index: $0, producer: producer, sinkTopic: settings.sinkTopic, deadLetterTopic: settings.deadLetterTopic,
                stampsSource: settings.sourceHeader,
                heldCapacityBytes: max(1, settings.heldBackCapacityBytes / laneCount), producedCounter: metrics.recordsProduced,
                slowBarrier: $0 == 0 ? settings.slowBarrier : nil, identity: identity)
        }
        // Fences any older instance with our transactional id and finishes what it left open,
        // so the committed offsets we read next are final.
        do {
            try producer.initTransactions()
        } catch {
            throw ProcessorFailure(message: "could not start a transactional producer on Kafka at "
                + "\(settings.kafka.bootstrapServers.joined(separator: ",")): \(explain(error)). Check that the brokers are "
                + "reachable and support transactions (on a small cluster, transaction.state.log.replication.factor "
                + "and min.insync.replicas must fit the broker count). Nothing was consumed or produced.")
        }
        let relay = RebalanceRelay()
        let consumer = try KafkaConsumer(
            // With static membership a restart (after a crash too) takes this instance's place in
            // the group at once, instead of waiting for the dead member's session to time out.
            // `auto.offset.reset` `error`: a position the log no longer holds is reported, not
            // moved silently to the oldest record (``PositionOutOfRange``); fresh partitions are
            // started at the log's start explicitly (``restore(_:committed:)``).
            configuration: ConsumerConfiguration(
                kafka: kafka, groupID: settings.application, offsetReset: .error,
                groupInstanceID: settings.staticMembership ? settings.transactionalID : nil
            ),
            logger: logger,
            rebalanceHandler: { event in relay.processor?.rebalanced(event) ?? [:] }
        )
        relay.processor = self
        self.consumer = consumer
        try consumer.subscribe(topics: settings.sourceTopics)
        metrics.partitionsAwaitingOffsets.record(0)
        try perform(coordinator.started(now: .now))
        logger.info("processing \(settings.sourceTopics) into \(settings.sinkTopic) as \(settings.transactionalID)")
    }

    /// Refuses to start on a topic the cluster does not have and will not make: a source topic
    /// (a consumer never creates one, so the processor would wait for it forever, quietly after
    /// one warning from librdkafka), or a sink or dead-letter topic on a cluster that does not
    /// create topics on first use (every checkpoint that sends there would fail, each after
    /// librdkafka's metadata wait). When the topics cannot be listed, the producer's start says why.
    private func checkTopics(_ kafka: KafkaConfiguration) throws {
        let admin: KafkaAdmin
        let existing: Set<String>
        do {
            admin = try KafkaAdmin(configuration: kafka, logger: logger)
            existing = try admin.topicNames(timeout: .seconds(10))
        } catch {
            logger.debug("could not list the cluster's topics before starting: \(error)")
            return
        }
        let bootstrap = kafka.bootstrapServers.joined(separator: ",")
        let missing = settings.sourceTopics.filter { !existing.contains($0) }
        if !missing.isEmpty {
            let one = missing.count == 1
            throw ProcessorFailure(message: "source topic\(one ? "" : "s") \(missing.map { "`\($0)`" }.joined(separator: ", ")) "
                + "\(one ? "does" : "do") not exist on \(bootstrap), or this client may not see \(one ? "it" : "them") (\(Self.listing(existing))): fix `source.topics` in the configuration, "
                + "or create \(one ? "it" : "them") first (a consumer does not create topics). Nothing was consumed or produced.")
        }
        let sinks = [(settings.sinkTopic, "sink.topic"), (settings.deadLetterTopic, "sink.dead_letter_topic")].filter { !existing.contains($0.0) }
        guard !sinks.isEmpty else { return }
        let createsTopics: Bool
        do {
            createsTopics = try admin.createsTopicsOnFirstUse(timeout: .seconds(10))
        } catch {
            for (topic, key) in sinks {
                logger.warning("\(key) `\(topic)` does not exist on \(bootstrap) yet, and whether the cluster creates topics on first use is unknown (\(error)): if it does not, every checkpoint that sends there fails with \"Unknown topic or partition\". Create it (with the partitions you want), or fix `\(key)`")
            }
            return
        }
        if createsTopics {
            for (topic, key) in sinks {
                logger.info("\(key) `\(topic)` does not exist on \(bootstrap) yet: the cluster creates it when the first record goes there, with its default partition count")
            }
            return
        }
        let one = sinks.count == 1
        throw ProcessorFailure(message: "\(sinks.map { "\($0.1) `\($0.0)`" }.joined(separator: " and ")) \(one ? "does" : "do") not exist on \(bootstrap), "
            + "and the cluster does not create topics on first use (auto.create.topics.enable is false; \(Self.listing(existing))): "
            + "create \(one ? "it" : "them") (with the partitions you want), or fix the configuration. Nothing was consumed or produced.")
    }

    /// Hears the consumer's reports of a missing source topic and, once they have gone on for
    /// the grace period, lists the cluster's topics in the background (``SourceTopicWatch``).
    private func watchSourceTopics() {
        if consumer?.takeMissingTopicReports() != nil {
            sourceWatch.missingReported(at: .now)
        }
        guard sourceWatch.checkIsDue(at: .now) else { return }
        let (inbox, logger, kafka) = (inbox, logger, clientKafka)
        topicListing.async {
            do {
                let admin = try KafkaAdmin(configuration: kafka, logger: logger)
                inbox.post(.topicsListed(.success(try admin.topicNames(timeout: .seconds(10)))))
            } catch {
                logger.warning("the consumer reports a source topic missing, and the cluster's topics could not be listed to confirm it: \(error); trying again")
                inbox.post(.topicsListed(.failure(error)))
            }
        }
    }

    /// Stops the processor when the listing shows a source topic gone.
    private func topicsListed(_ outcome: Result<Set<String>, any Error>) throws(ProcessorFailure) {
        let missing = sourceWatch.listed(outcome, at: .now)
        guard !missing.isEmpty, case .success(let existing) = outcome else { return }
        throw ProcessorFailure(message: SourceTopicWatch.stopMessage(
            missing: missing, bootstrap: settings.kafka.bootstrapServers.joined(separator: ","),
            clusterListing: Self.listing(existing), grace: sourceWatch.grace,
            lastCommitted: coordinator.lastCompleted, group: settings.application))
    }

    /// "it has orders, totals": the cluster's topics this client sees, for an error message,
    /// internal ones left out.
    private static func listing(_ topics: Set<String>) -> String {
        let visible = topics.filter { !$0.hasPrefix("__") }.sorted()
        if visible.isEmpty { return "it has no topics" }
        return "it has " + visible.prefix(20).joined(separator: ", ") + (visible.count > 20 ? ", and \(visible.count - 20) more" : "")
    }

    private func close() {
        stopped = true
        for lane in lanes { lane.quiesce() }  // nothing is produced after this
        retiringBatches.removeAll()  // no lane refers to them any more: freed here
        // Closing the consumer revokes the assignment through the handler, which does nothing
        // once stopped: what was not committed is left for the next owner to redo.
        // A read of committed offsets in flight uses the consumer: it ends first (up to one try).
        offsetReadsCancelled.store(true, ordering: .releasing)
        offsetReads.sync {}
        do { try consumer?.close() } catch { logger.warning("closing the consumer: \(error)") }
        if transactionOpen || coordinator.stage != .stopped {
            awaitTransactionCalls()  // a commit that succeeds meanwhile is kept; the abort is then a no-op
            try? producer?.abortTransaction(timeout: .seconds(5))
        }
        consumer = nil
        producer = nil
        bookkeeping.sync {}  // the last commit's mark is written before run() returns
    }

    // MARK: Records

    /// Polls the consumer, leaving out the records of partitions an abort rolled back during
    /// the poll (``rolledBackDuringPoll``).
    ///
    /// A rebalance callback runs inside the poll, and may abort the epoch (a revocation whose
    /// commit fails, partitions lost), rolling partitions back to their last checkpoint with a
    /// seek. Records the poll took before the callback are from beyond that point: librdkafka
    /// drops what it fetched before a seek from its queue, and from the batch it is filling once
    /// it reaches the seek's barrier, but not a record an earlier call of the same poll already
    /// took, nor the batch's records when it fills up before the barrier. Handed to the lanes,
    /// they would skip the records between the rollback point and them (a review found this on
    /// 2026-11-26). Records fetched after the seek may be in the same poll too, so the
    /// partitions are sought again to the same offsets: everything from there is read again.
    private func poll(_ consumer: KafkaConsumer, waiting wait: Duration) throws -> [ConsumedRecord] {
        pollInProgress = true
        defer { pollInProgress = false }
        var records = try consumer.poll(maxRecords: Self.recordsPerPoll, timeout: wait)
        if restartWindow.isOpen {
            restartWindow.polled(records: records.count, queueEmpty: consumer.queueLength == 0)
        }
        guard !rolledBackDuringPoll.isEmpty else { return records }
        let rolledBack = rolledBackDuringPoll
        rolledBackDuringPoll = []
        records.removeAll { rolledBack.contains($0.topicPartition) }
        try seekAndResume(rolledBack.sorted().compactMap { key in
            guard let offset = partitions[key]?.rollbackOffset, !seeksAwaitingFetchers.isWaiting(key) else { return nil }
            return PartitionOffset(key, offset: offset)
        })
        return records
    }

    /// The most records one poll takes: what a lane's backlog may exceed its limit by
    /// (``ProcessingLane/hasRoom`` is asked before the poll).
    static let recordsPerPoll = 5_000

    /// Hands each run of one partition's records to the partition's lane.
    private func handOver(_ records: [ConsumedRecord]) {
        guard !records.isEmpty else { return }
        let batch = PolledBatch(records)
        retiringBatches.append(batch)
        var start = records.startIndex
        while start < records.endIndex {
            let key = records[start].topicPartition
            var end = start + 1
            while end < records.endIndex, records[end].topicPartition == key { end += 1 }
            // A partition revoked during this poll has no runtime any more: its records are dropped.
            if let partition = partitions[key] {
                partition.lane.submit(start..<end, of: batch, of: partition)
                statistics.recordsProcessed += end - start
                metrics.recordsProcessed.increment(by: end - start)
            }
            start = end
        }
        statistics.maxLaneBacklog = max(statistics.maxLaneBacklog, lanes.lazy.map(\.backlogCount).max() ?? 0)
    }

    /// Lets go of the batches, oldest first, that no lane refers to any more: the processing
    /// thread frees their records, not the lane that finished last (``PolledBatch``).
    private func freeProcessedBatches() {
        var processed = 0
        while processed < retiringBatches.count, isKnownUniquelyReferenced(&retiringBatches[processed]) {
            processed += 1
        }
        if processed > 0 { retiringBatches.removeFirst(processed) }
    }

    /// Logs the progress line when one is due (``ProcessorSettings/progressInterval``).
    private func logProgressIfDue() {
        guard progress != nil,
            let line = progress!.line(at: .now, recordsRead: statistics.recordsProcessed, partitionsAssigned: partitions.count)
        else { return }
        logger.info("\(line)")
    }

    /// Stops the processor with the first lane's failure, if a lane failed.
    private func throwIfALaneFailed() throws(ProcessorFailure) {
        if let failure = lanes.lazy.compactMap(\.failure).first {
            throw ProcessorFailure(message: failure)
        }
    }

    // MARK: Actions

    private func perform(_ actions: [CheckpointCoordinator.Action]) throws {
        var queue = actions[...]
        while let action = queue.popFirst() {
            queue.append(contentsOf: try perform(action))
        }
    }

    private func perform(_ action: CheckpointCoordinator.Action) throws -> [CheckpointCoordinator.Action] {
        guard let producer, let consumer else { return [] }
        switch action {
        case .beginTransaction:
            do {
                try producer.beginTransaction()
            } catch {
                return coordinator.failed(coordinator.nextID, step: .beginTransaction, severity: .fatal, message: "\(error)", now: .now)
            }
            transactionOpen = true
            for lane in lanes { lane.openTransaction() }  // each sends what it held, in order
            return []

        case .captureSnapshot(let id):
            // A barrier in each lane, behind the records handed over so far; the lanes report
            // their captures through the inbox (``captured(_:)``), and the records handed over
            // meanwhile wait behind the barrier: they belong to the next epoch.
            transactionOpen = false
            pendingCapture = PendingCapture(id: id, awaitedLanes: lanes.count, queuedAt: .now)
            let inbox = self.inbox
            for lane in lanes {
                let own = partitions.values.filter { $0.lane === lane }
                lane.barrier(capturing: own) { inbox.post(.laneCaptured(id, $0)) }
            }
            return []

        case .preCommit(let id):
            var offsets: [PartitionOffset] = []
            let captured = partitions.compactMap { key, partition -> PartitionCheckpoint? in
                guard let (snapshot, offset) = partition.inFlight else { return nil }
                // A partition still replaying with the sink muted (the checkpoint Kafka named
                // could not be restored; an older one was) keeps the offset Kafka has, which
                // names that checkpoint: committing the replay's position, behind outputs
                // committed already, would make the next start restore there with nothing
                // muted and produce those outputs again. Its state is in this checkpoint all
                // the same, where the next fallback finds it (the newest at or before the
                // committed offset).
                if offset >= partition.mutedUntil {
                    offsets.append(PartitionOffset(key, offset: offset, metadata: OffsetMetadata.encode(id, forks: partition.forks)))
                }
                return PartitionCheckpoint(partition: PartitionID(key), snapshot: snapshot, nextOffset: offset, forks: partition.forks)
            }
            let inbox = self.inbox
            store.write(id, parent: coordinator.lastCompleted, replay: replayLineage, partitions: captured) { result in
                inbox.post(.snapshotWritten(id, result))
            }
            if offsets.isEmpty {
                return try offsetsSent(id, any: false)
            }
            if restartWindow.isOpen {
                logger.info("checkpoint \(id): its offsets wait until the consumer queue has served what it held at the last restart of stopped partitions (a revocation librdkafka may have taken the restart as the answer to)")
                offsetsAwaitingRestartWindow = (id, offsets)
                return []
            }
            sendOffsets(id, offsets, producer: producer, consumer: consumer)
            return []

        case .commitTransaction(let id):
            // The lanes keep processing while the commit is in flight (their outputs are held
            // for the next transaction); the outcome comes back through the inbox.
            if let action = faults?.action, faults?.shouldCrash(at: .afterCommitSent) == true {
                Self.signalSoon(action.signal)
            }
            // A commit asked again (its outcome was unknown) waits a little first: an answer
            // that comes back at once (a broker just gone) would otherwise be asked in a loop.
            let retry = lastCommitIssued == id
            lastCommitIssued = id
            commitInFlight = id
            let (timeout, issued) = (settings.checkpoint.timeout, ContinuousClock.now)
            inBackground({
                if retry { usleep(200_000) }
                try producer.commitTransaction(timeout: timeout)
            }) { .committed(id, issued: issued, $0) }
            return []

        case .checkpointCompleted(let id):
            for partition in partitions.values {
                if let inFlight = partition.inFlight {
                    partition.rollback = (inFlight.snapshot, inFlight.offset)
                    partition.inFlight = nil
                }
            }
            statistics.checkpointsCompleted += 1
            metrics.checkpointsCommitted.increment()
            progress?.committed(id, at: .now)
            health?.update { $0.committed(at: .now) }
            recordCommitted(id)
            logger.debug("checkpoint \(id) complete", metadata: ["stall": "\(statistics.stalls.last ?? .zero)"])
            return []

        case .abortTransaction(let id, _):
            for lane in lanes { lane.quiesce { $0.discardEpoch() } }
            awaitTransactionCalls()
            do {
                try producer.abortTransaction(timeout: settings.checkpoint.timeout)
            } catch {
                // A shutdown asked for while aborts fail stops at the next failure (the abort
                // retries never return to the loop that would pass it on).
                if shutdown.load(ordering: .acquiring), !shutdownForwarded {
                    shutdownForwarded = true
                    _ = coordinator.forceCheckpoint(.shutdown, now: .now)
                }
                let next = failed(id, .abort, error)
                if next.contains(where: { if case .abortTransaction = $0 { true } else { false } }) {
                    // Retried until the broker answers: say so, and that nothing is at risk, so
                    // that an operator who sees this knows what to look at; once a minute at
                    // most, and a second apart, as an abort can fail at once (no broker at all).
                    abortRetries += 1
                    if abortRetryLoggedAt.map({ .now - $0 >= .seconds(60) }) ?? true {
                        abortRetryLoggedAt = .now
                        logger.warning("aborting checkpoint \(id) failed, trying again every second (\(abortRetries) tries so far): \(error). Check that Kafka is reachable (librdkafka's connection errors are logged). Nothing of this checkpoint is committed; committed output, offsets and checkpoints stay as they are")
                    }
                    usleep(1_000_000)
                } else {
                    logger.warning("aborting checkpoint \(id) failed: \(error)")
                }
                return next
            }
            transactionOpen = false
            (abortRetries, abortRetryLoggedAt) = (0, nil)
            pendingCapture = nil  // the lanes' reports, in the inbox since the quiesce, are stale
            awaitingDelivery = nil
            offsetsInFlight = nil  // a report of the send still to come is stale
            offsetsAwaitingRestartWindow = nil
            var seeks: [PartitionOffset] = []
            for (key, partition) in partitions {
                partition.rollBack()
                // One still waiting for librdkafka to start its fetcher read nothing: its seek
                // to come is to where it rolls back to.
                if let offset = partition.rollbackOffset, !seeksAwaitingFetchers.isWaiting(key) {
                    seeks.append(PartitionOffset(key, offset: offset))
                    if pollInProgress { rolledBackDuringPoll.insert(key) }
                }
            }
            // A fetcher not started or still stopping (a partition lost, about to be revoked)
            // refuses the seek for a moment: it is sought again, not a reason to stop.
            try seekAndResume(seeks)
            statistics.checkpointsAborted += 1
            metrics.checkpointsAborted.increment()
            // Why, unless the caller said so already (lost partitions, a stale membership): a
            // tolerated failure is otherwise seen only as an abort.
            let reason = coordinator.abortReason.map { "\($0). Checkpoint " } ?? "checkpoint "
            logger.warning("\(reason)\(id) aborted; state and input rolled back to the last complete checkpoint")
            return coordinator.abortCompleted(id, now: .now)

        case .discardSnapshot(let id):
            do { try store.discard(id) } catch { logger.warning("discarding aborted checkpoint \(id): \(error)") }
            return []

        case .stop(let reason):
            stopped = true
            if let reason {
                failure = reason
                logger.error("stopping: \(reason)")
            } else {
                logger.info("stopped after a final checkpoint")
            }
            return []
        }
    }

    /// After a commit, off the processing thread: marks the checkpoint committed and applies
    /// retention. Neither decides what is committed (Kafka did), so processing goes on meanwhile.
    private func recordCommitted(_ id: CheckpointID) {
        let (store, logger, instance, newest) = (store, logger, settings.transactionalID, settings.retainedCheckpoints)
        // A replay's checkpoint stays while the replay runs: a partition lost before a
        // checkpoint of the replay committed it is replayed from it again (``ReplayStart``).
        let pinned = Set([id] + (settings.replayFrom.map { [$0] } ?? []))
        bookkeeping.async {
            do {
                try store.markCommitted(id)
                try store.retain(instance: instance, newest: newest, pinned: pinned)
            } catch {
                logger.warning("checkpoint \(id) committed, but its bookkeeping failed: \(error)")
            }
        }
    }

    /// Marks `id`, which Kafka's committed offsets name, committed in the store, off the
    /// processing thread. The process that committed it marks it once the commit returns; one
    /// killed in between left it unmarked, and the store's marks are what later decisions read
    /// when Kafka's offsets no longer say it: a partition whose group offsets are lost is
    /// refused rather than started afresh (which would write its outputs again) only if a
    /// checkpoint of it is marked, and a replay's command learns that the replay is over for a
    /// partition from a marked checkpoint of the replay.
    private func markKnownCommitted(_ id: CheckpointID) {
        let (store, logger) = (store, logger)
        bookkeeping.async {
            do {
                try store.markCommitted(id)
                logger.info("checkpoint \(id), which Kafka's committed offsets name, is now marked committed in the store (the process that committed it stopped before marking it)")
            } catch {
                logger.warning("checkpoint \(id) committed (Kafka's offsets name it), but marking it so in the store failed: \(error)")
            }
        }
    }

    /// Every lane reached the capture's barrier: the snapshots and offsets become the checkpoint
    /// in flight. A lane that failed before its barrier (to send an output of the epoch, or in
    /// its pipeline) fails the checkpoint here, before anything is committed.
    private func captured(_ capture: PendingCapture) throws -> [CheckpointCoordinator.Action] {
        try throwIfALaneFailed()
        for partition in capture.partitions {
            partition.runtime.inFlight = (partition.snapshot, partition.nextOffset)
        }
        statistics.captures.append(.now - capture.queuedAt)
        statistics.stalls.append(capture.longestStall)
        statistics.stallsOnCPU.append(capture.longestStallOnCPU)
        metrics.stall.record(capture.longestStall)
        faults?.reach(.afterCapture)
        return coordinator.snapshotCaptured(capture.id)
    }

    /// The offsets of `id` are in the transaction (`any`: there were some; a checkpoint of no
    /// partitions has none): what remains before the coordinator hears so is the delivery of
    /// the epoch's outputs.
    private func offsetsSent(_ id: CheckpointID, any: Bool) throws -> [CheckpointCoordinator.Action] {
        // The crash point counts only checkpoints whose offsets a transaction now holds: an
        // instance still waiting for its first partitions would otherwise die holding nothing.
        if any { faults?.reach(.afterOffsetsSent) }
        awaitingDelivery = id
        return try deliveryChecked()
    }

    /// Sends a checkpoint's offsets to its transaction in the background; the outcome comes back
    /// through the inbox.
    private func sendOffsets(_ id: CheckpointID, _ offsets: [PartitionOffset], producer: KafkaProducer, consumer: KafkaConsumer) {
        offsetsInFlight = id
        // The group metadata is asked for in the background too: librdkafka answers it on
        // its main thread, which took up to 5 ms now and then. It is read as the offsets
        // are sent, so it names the group's current generation, which the broker requires.
        // That generation may have moved on since the barrier (input, and with it polling
        // and rebalance callbacks, goes on during a capture), but only by an assignment:
        // a revocation first completes this checkpoint, so these partitions are still ours.
        // A revocation a restart answered is the exception: the offsets wait until it has been
        // served (``offsetsAwaitingRestartWindow``).
        inBackground({
            try producer.sendOffsetsToTransaction(offsets, group: try consumer.groupMetadata())
        }) { .offsetsSent(id, $0) }
    }

    /// Sends the offsets held back for the restart window once it has closed (a revocation
    /// served meanwhile aborted their checkpoint, and with it dropped them).
    private func sendOffsetsOnceTheRestartWindowCloses() throws {
        guard !restartWindow.isOpen, let (id, offsets) = offsetsAwaitingRestartWindow, let producer, let consumer else { return }
        offsetsAwaitingRestartWindow = nil
        logger.info("checkpoint \(id): the consumer queue has served what it held at the restart; sending its offsets")
        sendOffsets(id, offsets, producer: producer, consumer: consumer)
    }

    /// Pauses the partitions that fetch on the application's behalf and are not paused by
    /// ``restartWindowPause`` yet (a partition assigned, sought or restarted since fetches
    /// again), so that the next poll drops their queued records (``RestartWindowPause``). A
    /// pause librdkafka refuses leaves those records to be handed over, as before.
    private func pauseWhileOffsetsAwaitTheRestartWindow(_ consumer: KafkaConsumer) {
        let pausing = restartWindowPause.toPause(assigned: partitions.keys, heldElsewhere: isHeldForAnotherReason)
        guard !pausing.isEmpty else { return }
        // One at a time: which pauses took is then known, and only those are resumed (a resume
        // of a partition that is not paused reads records twice in librdkafka 2.0.2).
        for partition in pausing {
            do {
                try consumer.pause([partition])
                restartWindowPause.pausedNow([partition])
            } catch {
                restartWindowPause.pauseRefused([partition])
                logger.warning("pausing \(partition) while a checkpoint's offsets wait for the restart window: \(error); its queued records are handed to the lanes whatever their room")
            }
        }
        logger.debug("\(restartWindowPause.paused.sorted()): paused while checkpoint \(offsetsAwaitingRestartWindow.map { "\($0.id)" } ?? "-")'s offsets wait for the restart window; their queued records are dropped and fetched again on resume")
    }

    /// Resumes what ``pauseWhileOffsetsAwaitTheRestartWindow(_:)`` paused once no offsets wait
    /// (sent, or dropped by an abort): the partitions still assigned and held for no other
    /// reason fetch again from after the last record polled.
    private func resumeOnceOffsetsNoLongerWait() throws {
        guard offsetsAwaitingRestartWindow == nil, !restartWindowPause.isEmpty, let consumer else { return }
        let resuming = restartWindowPause.takeForResume(assigned: { self.partitions[$0] != nil }, heldElsewhere: isHeldForAnotherReason)
        guard !resuming.isEmpty else { return }
        try consumer.resume(resuming)
    }

    /// Whether `partition` is paused or stopped for a reason of its own: held for its committed
    /// offsets, waiting for librdkafka to take its seek, or its fetcher stopped.
    private func isHeldForAnotherReason(_ partition: TopicPartition) -> Bool {
        offsetsWait.waiting[partition] != nil || seeksAwaitingFetchers.isWaiting(partition) || stoppedFetchers.isStopped(partition)
    }

    /// Whether the test switch ``ProcessorSettings/holdInputAfterRestart`` keeps the loop from
    /// taking input now.
    private var inputHeldAfterRestart: Bool {
        guard let until = inputHeldUntil else { return false }
        if ContinuousClock.now < until { return true }
        inputHeldUntil = nil
        return false
    }

    /// Runs a transactional `call` on ``transactionCalls`` and posts its outcome as `report`.
    private func inBackground(
        _ call: @escaping @Sendable () throws -> Void,
        report: @escaping @Sendable (Result<Void, any Error>) -> ProcessorInbox.Report
    ) {
        let inbox = self.inbox
        transactionCalls.async { inbox.post(report(Result { try call() })) }
    }

    /// Waits for an offsets send or a commit in flight to finish (its report stays in the inbox).
    private func awaitTransactionCalls() {
        if offsetsInFlight != nil || commitInFlight != nil { transactionCalls.sync {} }
    }

    /// Lets the coordinator see the time, except while a commit is in flight: a timeout then
    /// would abort a transaction that may be committing (librdkafka's commit call has the same
    /// timeout and reports by then).
    private func tick() throws {
        guard commitInFlight == nil else { return }
        try perform(coordinator.tick(now: .now))
    }

    /// Waits for the outcome of a commit in flight and hands it to the coordinator.
    private func settleCommit() throws {
        while commitInFlight != nil, !stopped {
            try drainInbox(waiting: .milliseconds(1))
        }
    }

    private func checkDelivery() throws {
        try perform(deliveryChecked())
    }

    /// Tells the coordinator the offsets are sent once the epoch's outputs are all delivered.
    private func deliveryChecked() throws -> [CheckpointCoordinator.Action] {
        guard let id = awaitingDelivery, let producer else { return [] }
        producer.poll()
        guard producer.outstandingCount == 0 else { return [] }
        awaitingDelivery = nil
        return coordinator.offsetsSent(id)
    }

    private func drainInbox(waiting wait: Duration?) throws {
        for report in inbox.take(waiting: wait) {
            switch report {
            case .laneCaptured(let id, let capture):
                // A report for a checkpoint aborted meanwhile is stale (ids are never reused).
                guard var pending = pendingCapture, pending.id == id else { continue }
                pending.add(capture)
                pendingCapture = pending.isComplete ? nil : pending
                if pending.isComplete { try perform(captured(pending)) }
            case .snapshotWritten(let id, .success):
                faults?.reach(.afterManifestDurable)
                try perform(coordinator.snapshotDurable(id))
            case .snapshotWritten(let id, .failure(let error)):
                try perform(coordinator.failed(id, step: .writeSnapshot, severity: .abortable, message: "\(error)", now: .now))
            case .committed(let id, let issued, let result):
                guard commitInFlight == id else { continue }
                commitInFlight = nil
                statistics.commits.append(.now - issued)
                metrics.commit.record(.now - issued)
                switch result {
                case .success:
                    faults?.reach(.afterCommitReturned)
                    try perform(coordinator.commitSucceeded(id, now: .now))
                case .failure(let error):
                    try perform(failed(id, .commit, error))
                }
            case .topicsListed(let outcome):
                try topicsListed(outcome)
            case .committedOffsetsRead(let read, let result, let tried):
                try committedOffsetsRead(read, result, tried: tried)
            case .logRangeRead(let read, let attempt, let result):
                logRangeReads.append((read, try: attempt, result))
            case .offsetsSent(let id, let result):
                // A report for a checkpoint aborted meanwhile is stale: its transaction is gone.
                guard offsetsInFlight == id else { continue }
                offsetsInFlight = nil
                switch result {
                case .success: try perform(offsetsSent(id, any: true))
                case .failure(let error): try perform(failed(id, .sendOffsets, error))
                }
            }
        }
    }

    /// The coordinator's view of a failure, with a plain explanation when this instance was
    /// fenced (a newer process with the same transactional id took over).
    private func failed(_ id: CheckpointID, _ step: CheckpointCoordinator.Step, _ error: any Error) -> [CheckpointCoordinator.Action] {
        let severity = Self.severity(of: error)
        if severity == .groupMembership {
            logger.warning("checkpoint \(id) could not commit its offsets: the group coordinator no longer knows this consumer's membership (after a broker restart, or a heartbeat it missed): \(error). Aborting it and redoing its records; the next checkpoint waits until the consumer has rejoined the group (librdkafka does so at its next heartbeat), at most \(settings.checkpoint.timeout)")
        }
        return coordinator.failed(id, step: step, severity: severity, message: explain(error), now: .now)
    }

    /// The error in words, plainly explained when this instance was fenced (a newer process
    /// with the same identity took over its producer or its place in the group) or a sink
    /// partition lost the producer's records (``SinkLogLoss``).
    private func explain(_ error: any Error) -> String {
        identity.fencedExplanation(of: error)
            ?? SinkLogLoss.explanation(of: error, sinkTopics: [settings.sinkTopic, settings.deadLetterTopic])
            ?? "\(error)"
    }

    static func severity(of error: any Error) -> CheckpointCoordinator.Severity {
        guard let error = error as? KafkaError else { return .abortable }
        if error.isFatal { return .fatal }
        if let name = error.rdKafkaName, membershipErrors.contains(name) { return .groupMembership }
        if error.requiresAbort { return .abortable }
        if error.isRetriable { return .retriable }
        return .abortable
    }

    /// The group coordinator's answers to a transactional offset commit from a member it no
    /// longer knows, or from an older generation: the consumer rejoins at its next heartbeat.
    static let membershipErrors: Set<String> = ["UNKNOWN_MEMBER_ID", "ILLEGAL_GENERATION"]

    /// For the `afterCommitSent` crash point: the commit is issued, then the process dies (or
    /// freezes) while it is in flight, leaving its outcome to the broker.
    private static func signalSoon(_ signal: Int32) {
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(2)) {
            kill(getpid(), signal)
        }
    }

    // MARK: Rebalance

    fileprivate func rebalanced(_ event: RebalanceEvent) -> AssignmentStart {
        guard !stopped else { return [:] }
        do {
            // Whatever the event leads to (an abort if partitions were lost), the coordinator
            // must know first whether the commit in flight went through.
            if commitInFlight != nil {
                statistics.rebalancesDuringCommit += 1
                metrics.rebalancesDuringCommit.increment()
            }
            if pendingCapture != nil {
                statistics.rebalancesDuringCapture += 1
                metrics.rebalancesDuringCapture.increment()
            }
            try settleCommit()
            switch event {
            case .assigned(let assigned):
                return try assign(assigned)
            case .revoked(let revoked, let lost):
                // Inside the poll that serves it, before the poll's records count towards
                // closing the window: the revocation the restart answered comes out of the
                // queue in a poll that still sees the window open.
                try revoke(revoked, lost: lost, answeredByRestart: restartWindow.isOpen)
                return [:]
            }
        } catch {
            stopped = true
            failure = failure ?? "\(error)"
            logger.error("stopping: \(failure!)")
            return [:]
        }
    }

    /// How long an assignment waits for its committed offsets before it holds the partitions
    /// paused and reads them in the background: every partition, the others too, stands still
    /// while the rebalance handler waits.
    static let committedOffsetsReadAtOnce: Duration = .seconds(3)
    /// How long each background try waits; a close waits for the one in flight.
    static let committedOffsetsTry: Duration = .seconds(5)

    private func assign(_ assigned: [TopicPartition]) throws -> AssignmentStart {
        guard let consumer else { return [:] }
        coordinator.groupRejoined()  // every assignment follows a successful join
        restartWindowPause.lifted(assigned)  // RebalanceDispatch lifts their pause, or holds them itself
        // Started afresh: a report of a position out of range is from a previous assignment.
        consumer.forgetPositionsOutOfRange(assigned)
        stoppedFetchers.forget(assigned)
        health?.update { [count = assigned.count] in $0.enter(.restoring(partitions: count), at: .now) }
        let committed: [TopicPartition: PartitionOffset]
        let firstTryStarted = ContinuousClock.now
        switch Result(catching: { () throws(KafkaError) in try consumer.committed(assigned, timeout: Self.committedOffsetsReadAtOnce) }) {
        case .success(let read):
            committed = read
        case .failure(let error) where !error.isRetriable:
            throw error
        case .failure(let error):
            let (read, warning) = offsetsWait.start(
                assigned, failedWith: "\(error)", after: Self.committedOffsetsReadAtOnce, firstTryStarted: firstTryStarted, at: .now)
            logger.warning("\(warning)")
            metrics.partitionsAwaitingOffsets.record(offsetsWait.waiting.count)
            readCommittedOffsets(read)
            health?.update { $0.enter(.running, at: .now) }
            return AssignmentStart(paused: Set(assigned))
        }
        let startOffsets = try restore(assigned, committed: committed)
        metrics.assignedPartitions.record(partitions.count)
        health?.update { [count = partitions.count] in
            $0.assigned(count)
            $0.enter(.running, at: .now)
        }
        return AssignmentStart(offsets: startOffsets)
    }

    /// Reads the committed offsets of `read`'s partitions off the processing thread (one try,
    /// up to ``committedOffsetsTry``); the outcome comes back through the inbox.
    ///
    /// A try answers each partition at once (``KafkaConsumer/committedOrHeld(_:timeout:)``):
    /// the partitions an open transaction holds are reported held, and the others are read and
    /// restored. The consumer's `committed` asks again, for every partition of the request,
    /// while any is held, so partitions whose offsets were free waited with the held ones: after
    /// a takeover under an eager strategy (`range`, `roundrobin`), every partition of the
    /// instance, until the dead transaction ended.
    ///
    /// After a try of that kind fails, the next is the consumer's `committed`, and the one after
    /// that the per-partition kind again (``offsetsReadPerPartition``). The per-partition read is
    /// an admin request, sent to the coordinator librdkafka's admin cache names; librdkafka
    /// (2.0.2, and still 2.15) never drops an entry of that cache on NOT_COORDINATOR, and each
    /// use keeps it from expiring, so after the group's coordinator moved every such try would
    /// go to the old broker until the processor gave up (found by review). The consumer's own
    /// read follows the group's coordinator; alternating, the wait ends at the latest when all
    /// the partitions are free, as it did before per-partition reads.
    private func readCommittedOffsets(_ read: CommittedOffsetsWait.Read, after delay: Duration = .zero) {
        guard let consumer else { return }
        let (inbox, timeout, perPartition) = (inbox, Self.committedOffsetsTry, offsetsReadPerPartition)
        offsetReads.asyncAfter(deadline: .now() + .nanoseconds(Int(delay.nanoseconds))) { [self] in
            guard !offsetReadsCancelled.load(ordering: .acquiring) else { return }
            let tried = ContinuousClock.now
            let result = Result { () throws(KafkaError) in
                perPartition
                    ? try consumer.committedOrHeld(read.partitions, timeout: timeout)
                    : GroupOffsets(committed: try consumer.committed(read.partitions, timeout: timeout))
            }
            inbox.post(.committedOffsetsRead(read, result.mapError { $0 }, tried: tried))
        }
    }

    /// A background read of committed offsets finished: restores and resumes its partitions
    /// that still wait on it, or tries again.
    private func committedOffsetsRead(_ read: CommittedOffsetsWait.Read, _ result: Result<GroupOffsets, any Error>, tried: ContinuousClock.Instant) throws {
        guard consumer != nil else { return }
        switch result {
        case .success(let answer):
            let (ready, waited) = offsetsWait.succeeded(read, except: answer.held, at: .now)
            if !ready.isEmpty {
                metrics.partitionsAwaitingOffsets.record(offsetsWait.waiting.count)
                let stillHeld = offsetsWait.current(read)
                let others = stillHeld.isEmpty ? "" : " (\(CommittedOffsetsWait.list(stillHeld)) still held)"
                logger.notice("\(CommittedOffsetsWait.list(ready)): committed offsets read after waiting \(ProcessorHealth.seconds(waited)); restoring them\(others)")
                let startOffsets = try restore(ready, committed: answer.committed)
                metrics.assignedPartitions.record(partitions.count)
                health?.update { [count = partitions.count] in $0.assigned(count) }
                try seekAndResume(ready.map { PartitionOffset($0, offset: startOffsets[$0] ?? KafkaConsumer.logStartPosition) })
            }
            if !answer.held.isEmpty {
                try retryCommittedOffsets(read, after: "\(answer.held.count) held by an open transaction [UNSTABLE_OFFSET_COMMIT]", triedAt: tried)
            }
        case .failure(let error as KafkaError) where error.isRetriable:
            offsetsReadPerPartition.toggle()  // the other kind of read next (``readCommittedOffsets``)
            try retryCommittedOffsets(read, after: "\(error)", triedAt: tried)
        case .failure(let error):
            guard !offsetsWait.current(read).isEmpty else { return }
            throw ProcessorFailure(message: "reading the committed offsets of \(CommittedOffsetsWait.list(offsetsWait.current(read))) failed: \(explain(error)). "
                + "Nothing of these partitions was processed by this process; everything committed stays as it was")
        }
    }

    /// Tries `read` again for its partitions still waiting on it, after a try that left them
    /// unread (`error` says why), or stops the processor once they waited too long.
    private func retryCommittedOffsets(_ read: CommittedOffsetsWait.Read, after error: String, triedAt tried: ContinuousClock.Instant) throws {
        guard let retry = offsetsWait.retry(read) else { return }
        switch offsetsWait.failed(read, error: error, at: .now) {
        case .retry(let line):
            if let line { logger.warning("\(line)") }
            readCommittedOffsets(retry, after: CommittedOffsetsWait.pauseBeforeRetry(triedAt: tried, now: .now))
        case .giveUp(let message):
            throw ProcessorFailure(message: message)
        }
    }

    /// Moves partitions to where they start (restored after waiting for their committed
    /// offsets, or rolled back by an abort), and resumes them (a partition not paused is left
    /// as it is); while librdkafka has not started their fetchers, they are paused and sought
    /// again shortly (``SeeksAwaitingFetchers``).
    private func seekAndResume(_ seeks: [PartitionOffset]) throws {
        // librdkafka refuses to seek a partition it stopped fetching: started again instead,
        // now or, inside a poll, by the loop (and not sought as well).
        let stopped = Set(seeks.lazy.map(\.topicPartition).filter { self.stoppedFetchers.isStopped($0) })
        for seek in seeks where stopped.contains(seek.topicPartition) {
            stoppedFetchers.want(seek.topicPartition, at: seek.offset)
        }
        try restartWanted()
        let seeks = seeks.filter { !stopped.contains($0.topicPartition) }
        guard let consumer, !seeks.isEmpty else { return }
        // Per partition: one whose fetcher is not ready leaves the others sought and resumed.
        let refusals = try consumer.seekEach(seeks)
        if let error = refusals.sorted(by: { $0.key < $1.key }).first(where: { !$0.value.isFetcherNotReady })?.value { throw error }
        let refused = seeks.filter { refusals[$0.topicPartition] != nil }
        if let error = refusals.sorted(by: { $0.key < $1.key }).first?.value {
            // Paused until sought: a fetcher that starts meanwhile starts where the partition
            // was assigned, which for a partition rolled back is not where it now starts.
            do { try consumer.pause(refused.map(\.topicPartition)) } catch { logger.warning("pausing \(refused.map(\.topicPartition)) until librdkafka takes their seek: \(error)") }
            switch seeksAwaitingFetchers.refused(refused, error: "\(error)", at: .now) {
            case .retry(let line):
                if let line { logger.info("\(line)") }
            case .giveUp(let message):
                throw ProcessorFailure(message: message)
            }
        }
        let sought = seeks.filter { refusals[$0.topicPartition] == nil }
        guard !sought.isEmpty else { return }
        seeksAwaitingFetchers.sought(sought.map(\.topicPartition))
        try consumer.resume(sought.map(\.topicPartition))
        restartWindowPause.lifted(sought.map(\.topicPartition))
    }

    /// Hears librdkafka's reports of partitions it stopped fetching, their position out of
    /// range, and reads their log range in the background; starts again those the processor
    /// asked to seek meanwhile; decides on the ranges read (``StoppedFetchers``). In the loop,
    /// never inside a poll.
    private func handlePositionsOutOfRange() throws {
        guard let consumer else { return }
        for read in stoppedFetchers.reported(consumer.takePositionsOutOfRange()) {
            // A partition held for its committed offsets has no runtime yet: the seek that
            // starts it once they are read restarts it instead.
            guard partitions[read.partition] != nil else { continue }
            // A logical offset means librdkafka could not look up where the log starts or ends:
            // asked again after a pause.
            readLogRange(read, try: 1, after: read.reported < 0 ? PositionOutOfRange.pauseBeforeRangeRead : .zero)
        }
        try restartWanted()
        let reads = logRangeReads
        logRangeReads = []
        for (read, attempt, result) in reads {
            try logRangeRead(read, try: attempt, result)
        }
    }

    /// One try at reading the log range for `read`, after `delay`; the outcome comes back
    /// through the inbox. On `offsetReads`, which a close waits for.
    private func readLogRange(_ read: StoppedFetchers.Read, try attempt: Int, after delay: Duration = .zero) {
        guard let consumer else { return }
        let inbox = inbox
        offsetReads.asyncAfter(deadline: .now() + .nanoseconds(Int(delay.nanoseconds))) { [self] in
            guard !offsetReadsCancelled.load(ordering: .acquiring) else { return }
            let result = Result { () throws(KafkaError) in
                let range = try consumer.watermarkOffsets(read.partition, timeout: .seconds(5))
                return LogRange(start: range.low, end: range.high)
            }
            inbox.post(.logRangeRead(read, try: attempt, result.mapError { $0 }))
        }
    }

    /// The log range for `read` was read (or could not be): stops the processor, or starts the
    /// partition again where it goes on (``PositionOutOfRange/decide(logStart:logEnd:policy:mutedUntil:recentRestarts:application:)``).
    private func logRangeRead(_ read: StoppedFetchers.Read, try attempt: Int, _ result: Result<LogRange, any Error>) throws {
        let key = read.partition
        // Started again meanwhile (sought by an abort, say), or revoked: the read is stale.
        guard stoppedFetchers.isCurrent(read), let partition = partitions[key] else { return }
        let range: LogRange
        switch result {
        case .success(let answer):
            range = answer
        case .failure(let error):
            guard attempt < PositionOutOfRange.rangeReadsAtMost else {
                throw ProcessorFailure(message: "\(key): librdkafka stopped fetching the partition (\(PositionOutOfRange.describe(read.reported)) out of range), and its log range "
                    + "could not be read to tell why (\(attempt) tries): \(explain(error)). Everything committed stays as it was")
            }
            if attempt == 1 {
                logger.warning("\(key): librdkafka stopped fetching the partition (\(PositionOutOfRange.describe(read.reported)) out of range); reading its log range failed (\(error)), trying again every \(PositionOutOfRange.pauseBeforeRangeRead)")
            }
            readLogRange(read, try: attempt + 1, after: PositionOutOfRange.pauseBeforeRangeRead)
            return
        }
        // The lane's own position, exact once it has done everything handed to it: the offset
        // librdkafka reported may be from before an abort's rollback.
        var position: Int64?
        partition.lane.quiesce { _ in position = partition.nextOffset ?? partition.rollbackOffset }
        let report = PositionOutOfRange(partition: key, reported: read.reported, expected: position ?? KafkaConsumer.logStartPosition)
        switch report.decide(logStart: range.start, logEnd: range.end, policy: settings.deletedRecords, mutedUntil: partition.mutedUntil,
                             recentRestarts: stoppedFetchers.recentRestarts(of: key, at: .now), application: settings.application) {
        case .stop(let message):
            throw ProcessorFailure(message: message)
        case .restart(let offset, let skipped, let warning):
            logger.warning("\(warning)")
            try restart([PartitionOffset(key, offset: offset)], atTheirOwnPositions: skipped == 0)
            if skipped > 0 {
                // Counted once: an abort before the next checkpoint rolls back below the log's
                // start again, and the same records are skipped again.
                metrics.sourceRecordsSkipped.increment(by: Int(stoppedFetchers.newlySkipped(key, upTo: offset, from: offset - skipped)))
                // Checkpoints commit the new position even before a record arrives (none may,
                // the log being empty past it); nothing was handed to the lane since the quiesce.
                partition.lane.quiesce { _ in partition.nextOffset = offset }
            }
        }
    }

    /// Starts stopped partitions again where the processor asked them to be sought while it
    /// could not (inside a poll).
    private func restartWanted() throws {
        guard !pollInProgress else { return }
        try restart(stoppedFetchers.takeWanted(), atTheirOwnPositions: false)
    }

    /// Starts stopped partitions again at `starts` (``KafkaConsumer/restart(_:betweenUnassignAndAssign:)``),
    /// and opens the ``restartWindow`` if the consumer queue holds anything.
    private func restart(_ starts: [PartitionOffset], atTheirOwnPositions: Bool) throws {
        guard let consumer, !starts.isEmpty else { return }
        // Offsets on their way to the transaction arrive first: sent after a restart that
        // answered a revocation, they would carry the generation the member rejoins in without
        // the revoked partitions. Before it, they are pending in the transaction when the
        // newcomer reads its offsets, which then waits for the commit (read_committed).
        if offsetsInFlight != nil { transactionCalls.sync {} }
        if let beforeRestart = settings.beforeRestart {
            logger.warning("test switch beforeRestart is on: calling it before restarting \(starts.map(\.topicPartition))")
            beforeRestart(starts.map(\.topicPartition))
        }
        do {
            try consumer.restart(starts, betweenUnassignAndAssign: settings.withinRestart)
        } catch {
            throw ProcessorFailure(message: "\(starts.map(\.topicPartition)): librdkafka stopped fetching them (their position out of range), "
                + "and they could not be started again at \(starts.map { PositionOutOfRange.describe($0.offset) }): \(error). "
                + "The processor stops; everything committed stays as it was")
        }
        restartWindow.restarted(queued: consumer.queueLength)
        restartWindowPause.lifted(starts.map(\.topicPartition))  // the restart resumed them
        if restartWindow.isOpen {
            logger.debug("restarted \(starts.map(\.topicPartition)) with \(restartWindow.recordsAhead) entries in the consumer queue: revocations served and offsets sent wait until they have come out")
        }
        if let hold = settings.holdInputAfterRestart {
            logger.warning("test switch holdInputAfterRestart is on: taking no input for \(hold)")
            inputHeldUntil = .now + hold
        }
        for start in starts {
            stoppedFetchers.restarted(start.topicPartition, atItsOwnPosition: atTheirOwnPositions, at: .now)
        }
        // A seek refused before librdkafka's report was taken (an abort's rollback, say) waits to
        // be tried again: the restart supersedes it (a later seek would move the partition back
        // under records already handed to its lane).
        seeksAwaitingFetchers.revoked(starts.map(\.topicPartition))
    }

    /// Restores `assigned` from their checkpoints as the committed offsets name them (section 3
    /// of the design): the offsets to start each at (the log's start for a fresh one).
    private func restore(_ assigned: [TopicPartition], committed: [TopicPartition: PartitionOffset]) throws -> [TopicPartition: Int64] {
        // Assigned afresh: what the poll in progress takes for them from now on is theirs.
        rolledBackDuringPoll.subtract(assigned)
        var startOffsets: [TopicPartition: Int64] = [:]
        var unmarked: Set<CheckpointID> = []  // named by Kafka's offsets, not marked committed
        defer { unmarked.forEach(markKnownCommitted) }
        for partition in assigned {
            let processor = try pipeline.processor(topic: partition.topic, partition: partition.partition)
            // The lane with the fewest partitions (records are spread evenly over partitions).
            let lane = lanes.min { $0.partitionCount < $1.partitionCount }!
            lane.partitionCount += 1
            var candidates = try store.candidates(for: partition)
            let named = committed[partition].flatMap { offset -> CheckpointID? in
                guard case .checkpoint(let id) = OffsetMetadata.decode(offset.metadata) else { return nil }
                return id
            }
            // The history the committed state belongs to: a fallback keeps to it, and the state
            // restored goes on in it (whichever checkpoint of it is restored).
            let committedForks = committed[partition].flatMap { OffsetMetadata.forks(in: $0.metadata) } ?? []
            if let named, candidates.contains(where: { $0.id == named && !$0.knownCommitted }) {
                unmarked.insert(named)
            }
            if let replay = replayLineage {
                let now = committed[partition]
                let start = candidates.first { $0.id == replay.checkpoint && $0.damage == nil }
                let byThisReplay: Bool?
                if let named, let recorded = candidates.first(where: { $0.id == named && $0.nextOffset != .max }) {
                    byThisReplay = recorded.replay?.isSameReplay(as: replay) ?? false
                } else if let last = committedForks.last, replay.forked(last) {
                    // The checkpoint Kafka names cannot be read, and its history comes from this
                    // replay: whether the replay itself committed it (a restart resumes) or a run
                    // that went on from it did cannot be told.
                    byThisReplay = nil
                } else {
                    byThisReplay = false
                }
                switch ReplayStart.decide(
                    partition, replaying: replay, inCheckpoint: settings.replayPartitions.contains(partition), checkpointOffset: start?.nextOffset,
                    committed: now, checked: settings.replayCheckedOffsets[partition], committedByThisReplay: byThisReplay,
                    historyWentThroughIt: committedForks.contains(where: replay.forked), resumedAtStart: settings.replayResumed.contains(partition))
                {
                case .replay(let offset):
                    let forks = (start?.forks ?? []) + [ReplayFork(replayOf: replay.checkpoint.description, at: offset, sink: settings.sinkTopic)]
                    // Any instance may commit it later: the longest id a store allows (200 bytes).
                    let longest = OffsetMetadata.encode(CheckpointID(instance: String(repeating: "i", count: 160), incarnation: .max, sequence: .max), forks: forks)
                    guard longest.utf8.count <= OffsetMetadata.maximumLength else {
                        throw ProcessorFailure(message: "\(partition): the offsets' metadata would record \(forks.count) replays and be "
                            + "\(longest.utf8.count) bytes, over Kafka's default limit of \(OffsetMetadata.maximumLength) (offset.metadata.max.bytes): "
                            + "the commit would be refused. Nothing was produced. Replay from an older checkpoint (one from before some of those "
                            + "replays), or use shorter topic names.")
                    }
                    let state: PartitionState
                    do {
                        state = try store.restore(partition, from: replay.checkpoint)
                    } catch {
                        throw ProcessorFailure(message: "\(partition): checkpoint \(replay.checkpoint) holds it but its state does not restore (\(error)), "
                            + "so it cannot be replayed. Nothing was produced for this partition; what Kafka committed stays as it was. Replay from "
                            + "another checkpoint (`exactly checkpoints list` shows them), or start without --replay-from-checkpoint.")
                    }
                    partitions[partition] = PartitionRuntime(state: state, processor: processor, startOffset: offset, mutedUntil: 0, forks: forks, lane: lane)
                    startOffsets[partition] = offset
                    logger.notice("\(partition): replaying from checkpoint \(replay.checkpoint) (\(state.count) keys) at offset \(offset)")
                    continue
                case .recoverAsUsual(let reason):
                    logger.notice("\(partition): \(reason); recovering as usual")
                case .stop(let message):
                    throw ProcessorFailure(message: message)
                }
            }
            // Restoring verifies every byte; a checkpoint that fails is marked damaged and the
            // plan made again, so recovery falls back exactly as it would for a known damage.
            while true {
                let plan = RecoveryPlanner.plan(for: partition, committed: committed[partition], candidates: candidates)
                let restoring: CheckpointID
                switch plan {
                case .freshStart:
                    partitions[partition] = PartitionRuntime(state: PartitionState(), processor: processor, startOffset: nil, mutedUntil: 0, forks: [], lane: lane)
                    startOffsets[partition] = KafkaConsumer.logStartPosition
                    logger.info("\(partition): fresh start (nothing committed yet)")
                case .restore(let id, _), .restoreAndReplayMuted(let id, _, _, _):
                    restoring = id
                    let state: PartitionState
                    do {
                        state = try store.restore(partition, from: id)
                    } catch {
                        guard let index = candidates.firstIndex(where: { $0.id == id }) else { throw error }
                        candidates[index].damage = "\(error)"
                        logger.warning("\(partition): checkpoint \(restoring) does not restore: \(error)")
                        continue
                    }
                    if case .restore(_, let offset) = plan {
                        partitions[partition] = PartitionRuntime(state: state, processor: processor, startOffset: offset, mutedUntil: 0, forks: committedForks, lane: lane)
                        startOffsets[partition] = offset
                        logger.info("\(partition): restored checkpoint \(id) (\(state.count) keys), reading from offset \(offset)")
                    } else if case .restoreAndReplayMuted(_, let from, let until, let because) = plan {
                        partitions[partition] = PartitionRuntime(state: state, processor: processor, startOffset: from, mutedUntil: until, forks: committedForks, lane: lane)
                        startOffsets[partition] = from
                        logger.warning("\(partition): \(because); restored checkpoint \(id) and replaying offsets \(from)..<\(until) with the sink muted")
                    }
                case .refuse(let message):
                    throw ProcessorFailure(message: message)
                }
                break
            }
        }
        return startOffsets
    }

    /// Gives `revoked` up: commits what was processed for them first, unless they were `lost`
    /// or the revocation may have been `answeredByRestart` (``restartWindow``); then
    /// the open epoch is aborted and rolled back instead.
    private func revoke(_ revoked: [TopicPartition], lost: Bool, answeredByRestart: Bool) throws {
        let wasWaiting = offsetsWait.revoked(revoked)
        if !wasWaiting.isEmpty {
            // Nothing of theirs was processed. Their pause is lifted after the unassign
            // (KafkaClient's RebalanceDispatch): lifted here, before it, librdkafka could fetch
            // them from the offset they were held at until the unassign.
            logger.info("\(CommittedOffsetsWait.list(wasWaiting)) revoked while waiting for their committed offsets: nothing of them was processed here")
            metrics.partitionsAwaitingOffsets.record(offsetsWait.waiting.count)
        }
        if lost {
            logger.warning("partitions \(revoked) were lost (another member took them, or the group coordinator was out of reach for the session timeout): aborting the open epoch")
            try perform(coordinator.epochLost(now: .now))
        } else if answeredByRestart, revoked.contains(where: { partitions[$0] != nil }) {
            // The group may already have given them to another member, which reads them from
            // their last commit: committing what was processed for them now would produce those
            // outputs twice. The transaction's offsets carry the generation, but that does not
            // fence this: the member is still in the group (rejoined, or in a rebalance that is
            // being prepared, when Kafka accepts the current generation).
            logger.warning("partitions \(revoked) revoked after a restart of stopped partitions, which librdkafka may have taken as the answer to this revocation (rejoining the group without them before it was served): aborting the open epoch instead of committing what was processed for them; it is redone from the last commit")
            statistics.revocationsAbortedAfterRestart += 1
            metrics.revocationsAbortedAfterRestart.increment()
            try perform(coordinator.epochLost(now: .now))
        } else if revoked.contains(where: { partitions[$0] != nil }) {
            if let pendingCapture {
                logger.info("partitions \(revoked) revoked while checkpoint \(pendingCapture.id) is being captured: committing it and, unless it was forced itself, one more (it does not hold the records behind its barriers) before giving them up")
            } else {
                logger.info("partitions \(revoked) revoked: committing what was processed for them before giving them up")
            }
            // Commit what was processed for these partitions before giving them up. The restart
            // window is closed here (an open one takes the branch above), so the checkpoint's
            // offsets are not held back: inside this poll nothing could serve the queue for them.
            try perform(coordinator.forceCheckpoint(.revocation, now: .now))
            while coordinator.forcedCheckpointPending, !stopped {
                try drainInbox(waiting: .milliseconds(1))
                try checkDelivery()
                try tick()
            }
        }
        // Nothing of a revoked partition may still be in a lane when it goes.
        for lane in lanes { lane.quiesce() }
        for partition in revoked {
            partitions.removeValue(forKey: partition)?.lane.partitionCount -= 1
        }
        // After the abort above, if any (lost partitions, a failed commit): it seeks every
        // partition it rolls back, these too, and a refused seek would wait to be retried on a
        // partition that is not ours any more (its pause is lifted after the unassign).
        seeksAwaitingFetchers.revoked(revoked)
        restartWindowPause.lifted(revoked)  // RebalanceDispatch lifts their pause after the unassign
        rolledBackDuringPoll.subtract(revoked)
        stoppedFetchers.forget(revoked)
        metrics.assignedPartitions.record(partitions.count)
        health?.update { [count = partitions.count] in $0.assigned(count) }
    }
}

/// Lets the consumer's rebalance handler reach the processor without a reference cycle
/// (processor → consumer → handler → processor).
private final class RebalanceRelay: @unchecked Sendable {
    // @unchecked: set once before `subscribe`, read only on the processing thread afterwards.
    weak var processor: Processor?
}

/// A capture whose barriers are queued in the lanes: what the lanes that reached theirs captured.
private struct PendingCapture {
    let id: CheckpointID
    /// Lanes whose barrier has not been reached yet.
    var awaitedLanes: Int
    /// When the barriers were queued.
    let queuedAt: ContinuousClock.Instant
    var partitions: [LaneCapture.Partition] = []
    /// The longest a lane stood still for its barrier: the checkpoint's stall.
    var longestStall: Duration = .zero
    /// The most CPU time a lane spent on its barrier.
    var longestStallOnCPU: Duration = .zero

    var isComplete: Bool { awaitedLanes == 0 }

    mutating func add(_ capture: LaneCapture) {
        awaitedLanes -= 1
        partitions += capture.partitions
        longestStall = max(longestStall, capture.duration)
        longestStallOnCPU = max(longestStallOnCPU, capture.onCPU)
    }
}
