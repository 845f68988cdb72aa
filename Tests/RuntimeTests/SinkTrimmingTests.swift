import KafkaClient
import Testing

@testable import Runtime

/// Which trimmed sink partitions may have lost outputs of the replayed ranges, without Kafka.
@Suite struct SinkTrimmingTests {
    private let orders = TopicPartition("orders", 0)
    private let payments = TopicPartition("orders", 1)
    private func sink(_ partition: Int32) -> TopicPartition { TopicPartition("totals", partition) }

    @Test func aSinkWhoseLogsStartAtZeroHoldsEverything() {
        let trimming = SinkTrimming(logStarts: [sink(0): 0, sink(1): 0], checkpointOffsets: [orders: 0])
        #expect(trimming.mayHaveLost.isEmpty)
    }

    /// The checkpoint is at orders-0 50 and orders-1 20.
    @Test func aTrimmedPartitionHoldingAnOutputOlderThanTheCheckpointLostNoneOfTheRanges() {
        var trimming = SinkTrimming(logStarts: [sink(0): 40, sink(1): 7, sink(2): 9, sink(3): 0], checkpointOffsets: [orders: 50, payments: 20])
        // totals-0 still holds an output of input offset 30 (committed no later than the checkpoint).
        trimming.read((orders, 30), in: sink(0))
        trimming.read((orders, 75), in: sink(0))
        // totals-1 holds outputs of orders-0 only from the checkpoint's offset on.
        trimming.read((orders, 50), in: sink(1))
        // totals-2 got no output of orders-0 at all, but holds an older one of orders-1: that
        // proves as much (the ranges' outputs were all committed after it).
        trimming.read((payments, 19), in: sink(2))
        #expect(trimming.mayHaveLost == [sink(1): 7])
        // An input partition the checkpoint does not hold proves nothing.
        trimming.read((TopicPartition("orders", 2), 0), in: sink(1))
        #expect(trimming.mayHaveLost == [sink(1): 7])
    }
}
