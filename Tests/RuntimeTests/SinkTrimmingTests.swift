import KafkaClient
import Testing

@testable import Runtime

/// Which trimmed sink partitions may have lost outputs of an input range, without Kafka.
@Suite struct SinkTrimmingTests {
    private let orders = TopicPartition("orders", 0)
    private func sink(_ partition: Int32) -> TopicPartition { TopicPartition("totals", partition) }

    @Test func aSinkWhoseLogsStartAtZeroHoldsEverything() {
        let trimming = SinkTrimming(logStarts: [sink(0): 0, sink(1): 0])
        #expect(trimming.mayHaveLost(outputsOf: orders, from: 0).isEmpty)
    }

    @Test func aTrimmedPartitionHoldingAnEarlierOutputOfTheInputPartitionLostNoneOfTheRange() {
        var trimming = SinkTrimming(logStarts: [sink(0): 40, sink(1): 7, sink(2): 0])
        // The first output still held in totals-0 is of input offset 30; later ones follow.
        trimming.read((orders, 30), in: sink(0))
        trimming.read((orders, 75), in: sink(0))
        // totals-1 holds outputs of orders-0 only from offset 50 on.
        trimming.read((orders, 50), in: sink(1))
        #expect(trimming.mayHaveLost(outputsOf: orders, from: 31) == [sink(1): 7])
        // Outputs of offset 50 itself may precede the trimming point.
        #expect(trimming.mayHaveLost(outputsOf: orders, from: 50) == [sink(1): 7])
        #expect(trimming.mayHaveLost(outputsOf: orders, from: 51).isEmpty)
        // Holding nothing of an input partition says nothing of what it lost.
        #expect(trimming.mayHaveLost(outputsOf: TopicPartition("orders", 1), from: 100) == [sink(0): 40, sink(1): 7])
        #expect(trimming.mayHaveLost(outputsOf: orders, from: 30) == [sink(0): 40, sink(1): 7])
    }
}
