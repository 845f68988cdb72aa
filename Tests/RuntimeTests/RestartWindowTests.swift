import Checkpointing
import DevBroker
import ExactlyTesting
import Foundation
import KafkaClient
import Logging
import Operators
import Runtime
import Testing

extension ProcessorEndToEndTests {
    /// The positions of the lines of `log` that matter to a restart in a rebalance's window,
    /// each the first at or after the start of the test switch's wait.
    struct RestartWindowMarks {
        /// The processing thread began waiting before its restart.
        var waitBegan: Int?
        /// librdkafka queued the revocation for the application (`rd_kafka_rebalance_op_incr`).
        var revocationQueued: Int?
        /// The processing thread finished waiting (the restart runs, or is postponed, next).
        var waitEnded: Int?
        /// librdkafka took an incremental unassign as the answer to the revocation it queued
        /// (`rd_kafka_cgrp_incremental_unassign` in join state WAIT_UNASSIGN_CALL).
        var unassignAnswered: Int?
        /// The processor's rebalance handler heard the revocation.
        var revocationServed: Int?

        init(_ log: [String]) {
            waitBegan = log.firstIndex { $0.contains("test switch delayBeforeRestart is on") }
            guard let begin = waitBegan else { return }
            func first(_ text: String) -> Int? { log[begin...].firstIndex { $0.contains(text) } }
            revocationQueued = first("delegating incremental revoke")
            waitEnded = first("test switch delayBeforeRestart: waited")
            unassignAnswered = first("incremental unassign called")
            revocationServed = log[begin...].firstIndex { $0.hasPrefix("partitions [") && $0.contains("] revoked") }
        }
    }

    /// A partition restarted while librdkafka holds a revocation that no poll has served yet.
    ///
    /// Records deleted under a stopped processor's committed offsets make a restarted one find
    /// its position out of range (`skip`: it goes on from the log's start). The test switch
    /// holds its processing thread just before the restart, and meanwhile a second instance
    /// joins: librdkafka rejoins in the background and queues the revocation of the partitions
    /// the newcomer gets (join state WAIT_UNASSIGN_CALL). librdkafka 2.0.2 takes any
    /// incremental unassign in that state as the application's answer, so a restart then ends
    /// the callback's wait before the callback runs; if the fetcher it stops is done before the
    /// restart's assign arrives, that assign ends the wait for the follow-up assignment as
    /// well and the member rejoins, telling the group it no longer owns the revoked partitions,
    /// while the processor has not committed what it processed of them (`rdkafka_cgrp.c`
    /// 3313-3370, 3395-3415, 3495-3513). The test fails unless the revocation was queued while
    /// the processing thread waited; a read_committed reader must see each expected output
    /// once, and both instances must stop cleanly on request.
    @Test func aRestartWhileARevocationWaitsForItsCallbackLeavesEachOutputOnce() async throws {
        let keys = 50
        let app = "window-app"
        let (broker, kafka, directory, committed, produced) = try await brokerWith400CommittedAnd400More(app, keys: keys)
        defer { try? FileManager.default.removeItem(atPath: directory) }

        // In partition 0 the first half of its new records is deleted unprocessed.
        let deleted: [Int32: Range<Int64>] = [0: committed[0]!..<(committed[0]! + (produced[0]! - committed[0]!) / 2)]
        _ = try await BlockingCalls.run {
            try KafkaAdmin(configuration: kafka).deleteRecords([PartitionOffset(TopicPartition("orders", 0), offset: deleted[0]!.upperBound)], timeout: .seconds(10))
        }

        // Instance 0 waits 8 s before its restart: enough for instance 1 to join, and for
        // instance 0's librdkafka to notice at its next heartbeat (within 3 s) and rejoin. No
        // checkpoint of its own comes before (30 s interval), and each holds its one lane 6 s
        // at the barrier: the checkpoint its revocation forces commits what it processed of the
        // revoked partitions 6 s after the callback, later than a newcomer that was given them
        // at once (within instance 1's heartbeat, 3 s) reads their committed offsets.
        let log = CapturingLogHandler()
        var firstSettings = Self.quickSettings(app, instance: "0", kafka: kafka)
        firstSettings.checkpoint = CheckpointSettings(interval: .seconds(30), timeout: .seconds(20))
        firstSettings.processingLanes = 1
        firstSettings.slowBarrier = SlowBarrier(delay: .seconds(6))
        firstSettings.deletedRecords = .skip
        firstSettings.delayBeforeRestart = .seconds(8)
        firstSettings.pauseWithinRestart = .milliseconds(500)
        firstSettings.kafka.properties["debug"] = "cgrp"
        let firstStore = try CheckpointStore(configuration: CheckpointStoreConfiguration(
            directory: directory, application: app, instance: firstSettings.transactionalID))
        let first = try Processor(settings: firstSettings, pipeline: try Pipeline(yaml: Self.pipelineYAML), store: firstStore, logger: Logger(label: "test") { _ in log })
        let firstRun = Task { try await self.failureMessage(of: first) }
        let firstWatchdog = watchdog(for: first)
        defer { firstWatchdog.cancel() }
        func marks() -> RestartWindowMarks { RestartWindowMarks(log.lines.withLock { $0.map(\.1) }) }
        let waiting = ContinuousClock.now + .seconds(30)
        while marks().waitBegan == nil, ContinuousClock.now < waiting {
            try await Task.sleep(for: .milliseconds(20))
        }
        try #require(marks().waitBegan != nil, "instance 0 never restarted partition 0")
        var secondSettings = Self.quickSettings(app, instance: "1", kafka: kafka)
        secondSettings.deletedRecords = .skip
        let secondHealth = HealthBoard(checkpoint: secondSettings.checkpoint)
        secondSettings.health = secondHealth
        let second = try makeProcessor(secondSettings, directory: directory)
        let secondRun = Task { try await BlockingCalls.run { try second.run(); return second.statistics } }
        let secondWatchdog = watchdog(for: second)
        defer { secondWatchdog.cancel() }

        // Once instance 1 holds partitions: input for every partition; then instance 0 stops
        // (committing its share) and instance 1, given every partition, does the rest.
        let sharing = ContinuousClock.now + .seconds(40)
        while secondHealth.current().partitionsAssigned == 0, ContinuousClock.now < sharing {
            try await Task.sleep(for: .milliseconds(50))
        }
        try #require(secondHealth.current().partitionsAssigned > 0, "instance 1 was never given partitions: \(marks())")
        try await BlockingCalls.run { try self.produce(Self.input(800..<1200, keys: keys), to: "orders", kafka: kafka) }
        first.requestShutdown()
        let firstFailure = try await firstRun.value
        #expect(firstFailure == nil, "instance 0 stops cleanly")
        #expect(first.statistics.revocationsAbortedAfterRestart == 1, "instance 0 aborted the revocation that followed its restart")
        let expected = Self.expected(1200, keys: keys, without: deleted)
        try await awaitCommitted(expected.count, kafka: kafka)
        second.requestShutdown()
        let secondStatistics = try await secondRun.value
        #expect(secondStatistics.recordsProcessed > 0, "instance 1 took partitions over")
        // Read past the expected count (for 5 s) so that every duplicate is seen; compared as
        // counts: a list of every output in a failure message says nothing more.
        let outputs = try await BlockingCalls.run { try self.readCommitted("totals", count: 2 * expected.count, kafka: kafka, patience: .seconds(5)) }
        var surplus: [String: Int] = [:]
        for output in outputs { surplus[output, default: 0] += 1 }
        for output in expected { surplus[output, default: 0] -= 1 }
        let twice = surplus.values.filter { $0 > 0 }.reduce(0, +)
        let missing = -surplus.values.filter { $0 < 0 }.reduce(0, +)
        #expect(twice == 0 && missing == 0, "read_committed: \(outputs.count) outputs for \(expected.count) expected: \(twice) more than once, \(missing) missing")

        let lines = log.lines.withLock { $0.map(\.1) }
        let marks = RestartWindowMarks(lines)
        // The window: the revocation was queued while the processing thread waited to restart.
        let hit = marks.waitBegan.flatMap { begin in marks.revocationQueued.map { $0 > begin } } == true
            && marks.revocationQueued.flatMap { queued in marks.waitEnded.map { queued < $0 } } == true
        #expect(hit, "the revocation was not queued while instance 0 waited to restart: \(marks)")
        #expect(marks.revocationServed != nil, "instance 0 gave partitions up: \(marks)")
        await broker.stop()
    }
}
