import Checkpointing
import DevBroker
import ExactlyTesting
import Foundation
import KafkaClient
import Logging
import MetricsTestKit
import Operators
import Runtime
import Synchronization
import Testing

extension ProcessorEndToEndTests {
    /// Starts instance 1 of `app` beside instance 0 and waits (up to 40 s) until the group has
    /// given it partitions; `context` is added to the failure when it never is.
    func startInstanceOne(
        _ app: String, kafka: KafkaConfiguration, directory: String, context: () -> String
    ) async throws -> (processor: Processor, run: Task<ProcessorStatistics, any Error>, watchdog: Task<Void, any Error>) {
        var settings = Self.quickSettings(app, instance: "1", kafka: kafka)
        settings.deletedRecords = .skip
        let health = HealthBoard(checkpoint: settings.checkpoint)
        settings.health = health
        let processor = try makeProcessor(settings, directory: directory)
        let run = Task { try await BlockingCalls.run { try processor.run(); return processor.statistics } }
        let watchdog = watchdog(for: processor)
        let sharing = ContinuousClock.now + .seconds(40)
        while health.current().partitionsAssigned == 0, ContinuousClock.now < sharing {
            try await Task.sleep(for: .milliseconds(50))
        }
        if health.current().partitionsAssigned == 0 {
            watchdog.cancel()
            processor.requestShutdown()
            _ = try? await run.value
            try #require(Bool(false), "instance 1 was never given partitions: \(context())")
        }
        return (processor, run, watchdog)
    }

    /// The positions of the lines of `log` that matter to a restart in a rebalance's window,
    /// each the first at or after the start of the test's hold before the restart.
    struct RestartWindowMarks: CustomStringConvertible {
        /// The processing thread began waiting before its restart.
        var waitBegan: Int?
        /// librdkafka queued the revocation for the application (`rd_kafka_rebalance_op_incr`).
        var revocationQueued: Int?
        /// The processing thread finished waiting (the restart runs next).
        var waitEnded: Int?
        /// librdkafka took an incremental unassign as the answer to the revocation it queued
        /// (`rd_kafka_cgrp_incremental_unassign` in join state WAIT_UNASSIGN_CALL).
        var unassignAnswered: Int?
        /// librdkafka queued the assignment that follows the revocation (the old fetcher had
        /// stopped), before the restart's assign.
        var followUpQueued: Int?
        /// The processor's rebalance handler heard the revocation.
        var revocationServed: Int?

        static let holding = "restart gate: holding"
        static let released = "restart gate: released"
        static let revocationDelegated = "delegating incremental revoke"
        static let followUpDelegated = "cooperative assign after revoke"

        init(_ log: [String]) {
            waitBegan = log.firstIndex { $0.contains(Self.holding) }
            guard let begin = waitBegan else { return }
            func first(_ text: String) -> Int? { log[begin...].firstIndex { $0.contains(text) } }
            revocationQueued = first(Self.revocationDelegated)
            waitEnded = first(Self.released)
            unassignAnswered = first("incremental unassign called")
            followUpQueued = first(Self.followUpDelegated)
            revocationServed = log[begin...].firstIndex { $0.hasPrefix("partitions [") && $0.contains("] revoked") }
        }

        /// The window: the revocation was queued while the processing thread waited to restart.
        var hit: Bool {
            guard let begin = waitBegan, let queued = revocationQueued, let end = waitEnded else { return false }
            return begin < queued && queued < end
        }

        var description: String {
            "wait began at line \(waitBegan.map(String.init) ?? "-"), revocation queued at \(revocationQueued.map(String.init) ?? "-"), "
                + "wait ended at \(waitEnded.map(String.init) ?? "-"), unassign answered at \(unassignAnswered.map(String.init) ?? "-"), "
                + "follow-up assignment queued at \(followUpQueued.map(String.init) ?? "-"), revocation served at \(revocationServed.map(String.init) ?? "-")"
        }
    }

    /// What one run of ``restartWhileARevocationWaits(_:configure:)`` left.
    struct RestartWindowRun {
        var expected: Int
        var outputs: Int
        var twice: Int
        var missing: Int
        var first: ProcessorStatistics
        var firstFailure: String?
        var second: ProcessorStatistics
        var marks: RestartWindowMarks
        var lines: [String]
        var metrics: TestMetrics
    }

    /// Blocks the calling thread until a line of `log` after line `begin` contains `text`, or
    /// `timeout` passes; whether it came. For the test switches, which run on the processing
    /// thread (never on the cooperative pool).
    static func block(until text: String, after begin: Int, in log: CapturingLogHandler, timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let found = log.lines.withLock { lines in lines.count > begin && lines[begin...].contains { $0.1.contains(text) } }
            if found { return true }
            BlockingCalls.blockThread(for: .milliseconds(10))
        }
        return false
    }

    /// A restart of stopped partitions while librdkafka holds a revocation no poll has served.
    ///
    /// Records deleted under a stopped processor's committed offsets make a restarted one find
    /// its position out of range (`skip`: it goes on from the log's start). Instance 0 is held
    /// just before its restart while instance 1 joins, until its librdkafka has rejoined and
    /// queued the revocation of the partitions the newcomer gets (join state
    /// WAIT_UNASSIGN_CALL); its restart is then held between unassign and assign until
    /// librdkafka has queued the assignment that follows (the old fetcher stopped). librdkafka
    /// 2.0.2 takes the unassign as the answer to the revocation and the assign as the answer to
    /// that assignment, and rejoins, telling the group it no longer owns the revoked partitions
    /// while the processor has not committed what it processed of them (`rdkafka_cgrp.c`
    /// 3313-3370, 3395-3415, 3495-3513). Once instance 1 holds partitions, more input comes,
    /// instance 0 stops (committing its share) and instance 1, given every partition, does the
    /// rest. Every wait is on a condition (a log line, an assignment), so a loaded machine
    /// only makes it slower; a condition that never comes fails the test, saying which.
    func restartWhileARevocationWaits(_ app: String, configure: (inout ProcessorSettings) -> Void) async throws -> RestartWindowRun {
        let keys = 50
        let (broker, kafka, directory, committed, produced) = try await brokerWith400CommittedAnd400More(app, keys: keys)
        defer { try? FileManager.default.removeItem(atPath: directory) }

        // In partition 0 the first half of its new records is deleted unprocessed.
        let deleted: [Int32: Range<Int64>] = [0: committed[0]!..<(committed[0]! + (produced[0]! - committed[0]!) / 2)]
        _ = try await BlockingCalls.run {
            try KafkaAdmin(configuration: kafka).deleteRecords([PartitionOffset(TopicPartition("orders", 0), offset: deleted[0]!.upperBound)], timeout: .seconds(10))
        }

        // No checkpoint of instance 0's own comes before its restart (a 10 min interval: the
        // set-up, two cooperative rebalances and a restore, can take 30 s on a loaded machine,
        // and a periodic checkpoint's held offsets would make the loop serve the revocation first).
        let log = CapturingLogHandler()
        let logger = Logger(label: "test") { _ in log }
        let metrics = TestMetrics()
        var firstSettings = Self.quickSettings(app, instance: "0", kafka: kafka)
        firstSettings.checkpoint = CheckpointSettings(interval: .seconds(600), timeout: .seconds(20))
        firstSettings.transactionTimeout = .seconds(700)
        firstSettings.processingLanes = 1
        firstSettings.deletedRecords = .skip
        firstSettings.metricsFactory = metrics
        firstSettings.kafka.properties["debug"] = "cgrp"
        // Only the first restart is held: its lines bound the window.
        let held = Atomic<Int>(-1)
        firstSettings.beforeRestart = { partitions in
            let begin = log.lines.withLock { $0.count }
            guard held.compareExchange(expected: -1, desired: begin, ordering: .acquiringAndReleasing).exchanged else { return }
            logger.info("\(RestartWindowMarks.holding) before restarting \(partitions)")
            let queued = Self.block(until: RestartWindowMarks.revocationDelegated, after: begin, in: log, timeout: .seconds(40))
            logger.info("\(RestartWindowMarks.released) (revocation queued: \(queued))")
        }
        firstSettings.withinRestart = {
            let begin = held.load(ordering: .acquiring)
            guard begin >= 0, !log.lines.withLock({ $0[begin...].contains { $0.1.contains("restart gate: assign") } }) else { return }
            let queued = Self.block(until: RestartWindowMarks.followUpDelegated, after: begin, in: log, timeout: .seconds(10))
            logger.info("restart gate: assign follows (follow-up assignment queued: \(queued))")
        }
        configure(&firstSettings)
        let firstStore = try CheckpointStore(configuration: CheckpointStoreConfiguration(
            directory: directory, application: app, instance: firstSettings.transactionalID))
        let first = try Processor(settings: firstSettings, pipeline: try Pipeline(yaml: Self.pipelineYAML), store: firstStore, logger: logger)
        let firstRun = Task { try await self.failureMessage(of: first) }
        let firstWatchdog = watchdog(for: first)
        defer { firstWatchdog.cancel() }
        func marks() -> RestartWindowMarks { RestartWindowMarks(log.lines.withLock { $0.map(\.1) }) }
        let waiting = ContinuousClock.now + .seconds(30)
        while marks().waitBegan == nil, ContinuousClock.now < waiting {
            try await Task.sleep(for: .milliseconds(20))
        }
        try #require(marks().waitBegan != nil, "instance 0 never restarted partition 0")
        let (second, secondRun, secondWatchdog) = try await startInstanceOne(app, kafka: kafka, directory: directory) { "\(marks())" }
        defer { secondWatchdog.cancel() }
        try await BlockingCalls.run { try self.produce(Self.input(800..<1200, keys: keys), to: "orders", kafka: kafka) }
        first.requestShutdown()
        let firstFailure = try await firstRun.value
        let expected = Self.expected(1200, keys: keys, without: deleted)
        try await awaitCommitted(expected.count, kafka: kafka)
        second.requestShutdown()
        let secondStatistics = try await secondRun.value
        // Read past the expected count (for 5 s) so that every duplicate is seen; compared as
        // counts: a list of every output in a failure message says nothing more.
        let outputs = try await BlockingCalls.run { try self.readCommitted("totals", count: 2 * expected.count, kafka: kafka, patience: .seconds(5)) }
        var surplus: [String: Int] = [:]
        for output in outputs { surplus[output, default: 0] += 1 }
        for output in expected { surplus[output, default: 0] -= 1 }
        let lines = log.lines.withLock { $0.map(\.1) }
        await broker.stop()
        return RestartWindowRun(
            expected: expected.count, outputs: outputs.count,
            twice: surplus.values.filter { $0 > 0 }.reduce(0, +), missing: -surplus.values.filter { $0 < 0 }.reduce(0, +),
            first: first.statistics, firstFailure: firstFailure, second: secondStatistics,
            marks: RestartWindowMarks(lines), lines: lines, metrics: metrics)
    }

    /// The revocation the restart answered is served at the next poll: handled as lost, not
    /// committed. Instance 0 holds its one lane 6 s at the barrier, so that without the fix
    /// the checkpoint the revocation forces would commit what instance 0 processed of the
    /// revoked partitions after the newcomer (given them within instance 1's heartbeat, 3 s)
    /// read their committed offsets. A read_committed reader must see each expected output
    /// once, and both instances must stop cleanly on request.
    @Test func aRestartWhileARevocationWaitsForItsCallbackLeavesEachOutputOnce() async throws {
        let run = try await restartWhileARevocationWaits("window-app") { settings in
            settings.slowBarrier = SlowBarrier(delay: .seconds(6))
        }
        #expect(run.firstFailure == nil, "instance 0 stops cleanly")
        #expect(run.second.recordsProcessed > 0, "instance 1 took partitions over")
        #expect(run.twice == 0 && run.missing == 0, "read_committed: \(run.outputs) outputs for \(run.expected) expected: \(run.twice) more than once, \(run.missing) missing")
        #expect(run.marks.hit, "the revocation was not queued while instance 0 waited to restart: \(run.marks)")
        #expect(run.marks.unassignAnswered != nil && run.marks.followUpQueued != nil, "librdkafka took the restart as the answer: \(run.marks)")
        #expect(run.marks.revocationServed != nil, "instance 0 gave partitions up: \(run.marks)")
        #expect(run.first.revocationsAbortedAfterRestart == 1, "instance 0 aborted the revocation that followed its restart")
        let labels = [("application", "window-app"), ("instance", "0")]
        #expect(try run.metrics.expectCounter("exactly_revocations_aborted_after_restart_total", labels).totalValue == 1)
    }

    /// The narrower window: after the restart the loop takes no input (as when its lanes are
    /// full: the test switch `holdInputAfterRestart`), so no poll serves the revocation the
    /// restart answered; instance 0 is then asked to stop once the newcomer holds the revoked
    /// partitions (it read their committed offsets). The shutdown's checkpoint must not send
    /// offsets before the consumer queue has served that revocation: sent, they would commit
    /// what instance 0 processed of partitions the newcomer processes again from their last
    /// commit. A read_committed reader must see each expected output once.
    @Test func aCheckpointAfterARestartWaitsForTheRevocationTheRestartMayHaveAnswered() async throws {
        let run = try await restartWhileARevocationWaits("narrow-window-app") { settings in
            // Long enough for a checkpoint's offsets to wait for the window and be sent (a poll or
        // two once paused); then the loop takes input again.
        settings.holdInputAfterRestart = .seconds(10)
        }
        #expect(run.firstFailure == nil, "instance 0 stops cleanly")
        #expect(run.second.recordsProcessed > 0, "instance 1 took partitions over")
        #expect(run.twice == 0 && run.missing == 0, "read_committed: \(run.outputs) outputs for \(run.expected) expected: \(run.twice) more than once, \(run.missing) missing")
        #expect(run.marks.hit, "the revocation was not queued while instance 0 waited to restart: \(run.marks)")
        #expect(run.marks.unassignAnswered != nil && run.marks.followUpQueued != nil, "librdkafka took the restart as the answer: \(run.marks)")
        // The window: no poll served the revocation before the shutdown's checkpoint was due.
        let shutdown = run.lines.firstIndex { $0.contains("shutdown requested") }
        #expect(shutdown.flatMap { at in run.marks.revocationServed.map { at < $0 } } == true,
                "the revocation was served before instance 0 was asked to stop (shutdown at line \(shutdown.map(String.init) ?? "-")): \(run.marks)")
        #expect(run.lines.contains { $0.contains("its offsets wait until the consumer queue has served") }, "the shutdown's checkpoint held its offsets back")
        // The polls that served it ran with the partitions paused (RestartWindowPause): the
        // revocation served then, its abort and the resume that follows keep each output once.
        #expect(run.lines.contains { $0.contains("paused while checkpoint") }, "the partitions were paused while the offsets waited")
        #expect(run.first.revocationsAbortedAfterRestart == 1, "instance 0 aborted the revocation that followed its restart")
    }

    /// A restart long before a revocation has nothing to do with it: once the consumer queue
    /// has served what it held at the restart, a revocation commits what was processed for the
    /// revoked partitions as usual, with no abort and redo. A read_committed reader must see
    /// each expected output once.
    @Test func aRevocationLongAfterARestartCommitsAsUsual() async throws {
        let keys = 50
        let app = "late-revocation-app"
        let (broker, kafka, directory, committed, produced) = try await brokerWith400CommittedAnd400More(app, keys: keys)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let deleted: [Int32: Range<Int64>] = [0: committed[0]!..<(committed[0]! + (produced[0]! - committed[0]!) / 2)]
        _ = try await BlockingCalls.run {
            try KafkaAdmin(configuration: kafka).deleteRecords([PartitionOffset(TopicPartition("orders", 0), offset: deleted[0]!.upperBound)], timeout: .seconds(10))
        }
        let restarts = Atomic<Int>(0)
        var firstSettings = Self.quickSettings(app, instance: "0", kafka: kafka)
        firstSettings.deletedRecords = .skip
        firstSettings.beforeRestart = { _ in restarts.add(1, ordering: .relaxed) }
        let first = try makeProcessor(firstSettings, directory: directory)
        let firstRun = Task { try await self.failureMessage(of: first) }
        let firstWatchdog = watchdog(for: first)
        defer { firstWatchdog.cancel() }
        // Everything up to now processed and committed: the restart is long past, and its
        // queue served (the loop polls it empty while idle).
        try await awaitCommitted(Self.expected(800, keys: keys, without: deleted).count, kafka: kafka)
        try #require(restarts.load(ordering: .relaxed) == 1, "instance 0 restarted partition 0 once")

        let (second, secondRun, secondWatchdog) = try await startInstanceOne(app, kafka: kafka, directory: directory) { "" }
        defer { secondWatchdog.cancel() }
        try await BlockingCalls.run { try self.produce(Self.input(800..<1200, keys: keys), to: "orders", kafka: kafka) }
        let expected = Self.expected(1200, keys: keys, without: deleted)
        try await awaitCommitted(expected.count, kafka: kafka)
        first.requestShutdown()
        second.requestShutdown()
        #expect(try await firstRun.value == nil, "instance 0 stops cleanly")
        _ = try await secondRun.value
        // Not "no checkpoint aborted": a periodic one that races the rebalance may be refused
        // its generation (ILLEGAL_GENERATION), as in any rebalance, and is redone.
        #expect(first.statistics.revocationsAbortedAfterRestart == 0, "the revocation committed as usual")
        let outputs = try await BlockingCalls.run { try self.readCommitted("totals", count: 2 * expected.count, kafka: kafka, patience: .seconds(5)) }
        var surplus: [String: Int] = [:]
        for output in outputs { surplus[output, default: 0] += 1 }
        for output in expected { surplus[output, default: 0] -= 1 }
        #expect(surplus.values.allSatisfy { $0 == 0 }, "read_committed: \(outputs.count) outputs for \(expected.count) expected")
        await broker.stop()
    }

    /// Offsets that wait for the restart window while the lanes take no input (the test switch
    /// `holdInputAfterRestart`, as when they are full) do not make the loop hand the lanes what
    /// the restart left in the consumer queue. Just before the restart, with the processing
    /// thread held, 59,200 more records are produced and librdkafka has 5 s to fetch them into
    /// the queue; the next checkpoint's offsets wait for the window, and the polls that close it
    /// must not hand those records to the lane, whose backlog stays within its bound (before the
    /// fix it took the whole queue). The same instance then goes on after the hold, reading the
    /// paused partitions from where their fetching resumed, to the end: a read_committed reader
    /// sees each expected output once (a resume from the wrong place would read records twice or
    /// skip them).
    @Test func offsetsWaitingForTheRestartWindowDoNotOverrunTheLanes() async throws {
        let keys = 50
        let app = "window-backpressure-app"
        let (broker, kafka, directory, committed, produced) = try await brokerWith400CommittedAnd400More(app, keys: keys)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let total = 60_000
        let deleted: [Int32: Range<Int64>] = [0: committed[0]!..<(committed[0]! + (produced[0]! - committed[0]!) / 2)]
        _ = try await BlockingCalls.run {
            try KafkaAdmin(configuration: kafka).deleteRecords([PartitionOffset(TopicPartition("orders", 0), offset: deleted[0]!.upperBound)], timeout: .seconds(10))
        }

        let log = CapturingLogHandler()
        let logger = Logger(label: "test") { _ in log }
        var settings = Self.quickSettings(app, instance: "0", kafka: kafka)
        settings.processingLanes = 1
        settings.deletedRecords = .skip
        // Long enough for a checkpoint's offsets to wait for the window and be sent (a poll or
        // two once paused); then the loop takes input again.
        settings.holdInputAfterRestart = .seconds(10)
        let restarts = Atomic<Int>(0)
        settings.beforeRestart = { [self] partitions in
            guard restarts.add(1, ordering: .relaxed).newValue == 1 else { return }
            logger.info("holding the processing thread before restarting \(partitions): the consumer queue fills")
            do { try produce(Self.input(800..<total, keys: keys), to: "orders", kafka: kafka) } catch { logger.error("producing more input failed: \(error)") }
            BlockingCalls.blockThread(for: .seconds(5))  // a margin on a loaded machine: the check below needs over 26,384 queued
        }
        let store = try CheckpointStore(configuration: CheckpointStoreConfiguration(
            directory: directory, application: app, instance: settings.transactionalID))
        let first = try Processor(settings: settings, pipeline: try Pipeline(yaml: Self.pipelineYAML), store: store, logger: logger)
        let firstRun = Task { try await self.failureMessage(of: first) }
        let firstWatchdog = watchdog(for: first)
        defer { firstWatchdog.cancel() }
        let sent = "the consumer queue has served what it held at the restart; sending its offsets"
        let deadline = ContinuousClock.now + .seconds(40)
        while !log.lines.withLock({ $0.contains { $0.1.contains(sent) } }), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        let held = log.lines.withLock { $0.contains { $0.1.contains("its offsets wait until the consumer queue has served") } }
        // "restarted [orders-0] with N entries in the consumer queue: …" (debug)
        let queuedAtRestart = log.lines.withLock { lines in
            lines.lazy.compactMap { line -> Int? in
                guard line.1.hasPrefix("restarted ["), let with = line.1.range(of: " with ") else { return nil }
                return Int(line.1[with.upperBound...].prefix { $0.isNumber })
            }.first
        }
        let expected = Self.expected(total, keys: keys, without: deleted)
        try await awaitCommitted(expected.count, kafka: kafka)
        first.requestShutdown()
        #expect(try await firstRun.value == nil, "instance 0 stops cleanly")
        #expect(restarts.load(ordering: .relaxed) >= 1, "partition 0 was restarted")
        #expect(held, "a checkpoint's offsets waited for the restart window")
        #expect((queuedAtRestart ?? 0) > 2 * ProcessorStatistics.laneBacklogBound,
                "the consumer queue held \(queuedAtRestart.map(String.init) ?? "no count of") entries at the restart: too few to overrun the lane")
        #expect(first.statistics.maxLaneBacklog <= ProcessorStatistics.laneBacklogBound,
                "the lane's backlog reached \(first.statistics.maxLaneBacklog) records, past its bound of \(ProcessorStatistics.laneBacklogBound)")
        #expect(first.statistics.recordsProcessed >= total - 400 - deleted[0]!.count, "instance 0 itself read on to the end")
        let outputs = try await BlockingCalls.run { try self.readCommitted("totals", count: expected.count + 1_000, kafka: kafka, patience: .seconds(5)) }
        var surplus: [String: Int] = [:]
        for output in outputs { surplus[output, default: 0] += 1 }
        for output in expected { surplus[output, default: 0] -= 1 }
        let twice = surplus.values.filter { $0 > 0 }.reduce(0, +)
        let missing = -surplus.values.filter { $0 < 0 }.reduce(0, +)
        #expect(twice == 0 && missing == 0, "read_committed: \(outputs.count) outputs for \(expected.count) expected: \(twice) more than once, \(missing) missing")
        await broker.stop()
    }
}
