import CoreMetrics
import DevBroker
import Dispatch
import KafkaClient
import KeyedState
import Logging
import MetricsTestKit
import Operators
import Synchronization
import Testing

@testable import Runtime

/// The checkpoint barrier on a lane, without a broker: before a transaction opens, a lane holds
/// its outputs back, so its producer never has to reach one. And what a lane says when a send
/// fails because a newer process took over, against the development broker.
@Suite struct ProcessingLaneTests {
    /// Records `offsets` of partition 0 of `in`, record i for user `u<i / 10>` (ten records per user).
    func records(_ offsets: Range<Int64>) -> PolledBatch {
        PolledBatch(offsets.map { offset in
            ConsumedRecord(
                topicPartition: TopicPartition("in", 0), offset: offset, key: nil,
                value: Array(#"{"user":"u\#(offset / 10)","amount":1}"#.utf8))
        })
    }

    /// A producer for a port nothing listens on; its connection errors are not logged.
    func unconnectedProducer() throws -> KafkaProducer {
        try KafkaProducer(
            configuration: ProducerConfiguration(kafka: KafkaConfiguration(bootstrapServers: ["127.0.0.1:9"])),
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    @Test func aBarrierCapturesTheRecordsHandedOverBeforeItAndNoneAfter() throws {
        let producer = try unconnectedProducer()
        let lane = ProcessingLane(
            index: 0, producer: producer, sinkTopic: "out", deadLetterTopic: "dead", heldCapacityBytes: 1 << 20,
            producedCounter: Counter(label: "produced", factory: TestMetrics()))
        let pipeline = try Pipeline(yaml: """
            operators:
              - key_by: user
              - aggregate:
                  - op: count
            """)
        let partition = PartitionRuntime(
            state: PartitionState(), processor: try pipeline.processor(topic: "in", partition: 0), startOffset: 0, mutedUntil: 0, lane: lane)

        let reported = DispatchSemaphore(value: 0)
        let capture = Mutex<LaneCapture?>(nil)
        lane.submit(0..<100, of: records(0..<100), of: partition)  // users u0...u9
        lane.barrier(capturing: [partition]) { laneCapture in
            capture.withLock { $0 = laneCapture }
            reported.signal()
        }
        lane.submit(0..<50, of: records(100..<150), of: partition)  // users u10...u14, after the barrier
        #expect(reported.wait(timeout: .now() + .seconds(10)) == .success)
        lane.quiesce()

        let captured = try #require(capture.withLock { $0 })
        #expect(captured.partitions.count == 1)
        #expect(captured.partitions.first?.nextOffset == 100)
        #expect(captured.partitions.first?.snapshot.count == 10)
        // The records after the barrier went on into the live state, for the next epoch.
        #expect(partition.nextOffset == 150)
        #expect(partition.state.count == 15)
        #expect(lane.failure == nil)
    }

    /// Which step finds a fence first is a race: a commit, a send of offsets, or (this test) a
    /// lane's produce. Each must say that the process was fenced, not advise a restart (which
    /// would fence the process that took over).
    @Test func aSendFencedByANewerProcessSaysSoAndAdvisesNoRestart() async throws {
        let broker = try await DevBroker.start(DevBrokerConfiguration(port: 0, defaultPartitions: 1))
        do {
            try await fencedSend(on: broker)
        } catch {
            await broker.stop()
            throw error
        }
        await broker.stop()
    }

    private func fencedSend(on broker: DevBroker) async throws {
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let settings = ProcessorSettings(
            kafka: KafkaConfiguration(bootstrapServers: [broker.bootstrapServers]), application: "fence", instance: "0",
            sourceTopics: ["in"], sinkTopic: "out")
        let pipeline = try Pipeline(yaml: "operators:\n  - key_by: user\n")
        let transactional = ProducerConfiguration(kafka: settings.kafka, transactionalID: settings.transactionalID)
        let (fencedProducer, newer) = try await BlockingCalls.run {
            let first = try KafkaProducer(configuration: transactional, logger: quiet)
            try first.initTransactions()
            try first.beginTransaction()
            let second = try KafkaProducer(configuration: transactional, logger: quiet)
            try second.initTransactions()  // fences the first
            return (first, second)
        }
        let lane = ProcessingLane(
            index: 0, producer: fencedProducer, sinkTopic: "out", deadLetterTopic: "dead", heldCapacityBytes: 1 << 20,
            producedCounter: Counter(label: "produced", factory: TestMetrics()), identity: InstanceIdentity(settings))
        let partition = PartitionRuntime(
            state: PartitionState(), processor: try pipeline.processor(topic: "in", partition: 0), startOffset: 0, mutedUntil: 0, lane: lane)
        lane.openTransaction()
        lane.submit(0..<10, of: records(0..<10), of: partition)
        // librdkafka learns of the fence when it adds the partition to the transaction, after
        // the produce call returned; a later produce then fails.
        let deadline = ContinuousClock.now + .seconds(30)
        var offset: Int64 = 10
        while lane.failure == nil, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
            lane.submit(0..<10, of: records(offset..<offset + 10), of: partition)
            offset += 10
        }
        lane.quiesce()
        let failure = try #require(lane.failure)
        #expect(failure.hasPrefix("this process was fenced: another process started with the same identity `fence-0`"))
        // No plain advice to restart (that would fence the process that took over), only for
        // when no other process has the identity: the broker's transaction timeout fences too.
        #expect(!failure.contains("restart to recover"))
        #expect(failure.contains("If no other process runs as `fence-0`, the broker aborted this process's transaction for outliving transaction.timeout.ms"))
        try? newer.close()
        try? fencedProducer.close()
    }

    @Test func aBarrierSkipsAPartitionThatReadNothing() throws {
        let producer = try unconnectedProducer()
        let lane = ProcessingLane(
            index: 0, producer: producer, sinkTopic: "out", deadLetterTopic: "dead", heldCapacityBytes: 1 << 20,
            producedCounter: Counter(label: "produced", factory: TestMetrics()))
        let pipeline = try Pipeline(yaml: "operators:\n  - key_by: user\n")
        // A fresh start: no position until a record is read.
        let partition = PartitionRuntime(
            state: PartitionState(), processor: try pipeline.processor(topic: "in", partition: 0), startOffset: nil, mutedUntil: 0, lane: lane)
        let reported = DispatchSemaphore(value: 0)
        let capture = Mutex<LaneCapture?>(nil)
        lane.barrier(capturing: [partition]) { laneCapture in
            capture.withLock { $0 = laneCapture }
            reported.signal()
        }
        #expect(reported.wait(timeout: .now() + .seconds(10)) == .success)
        #expect(try #require(capture.withLock { $0 }).partitions.isEmpty)
    }
}
