import CoreMetrics
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
/// its outputs back, so its producer never has to reach one.
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
