import KafkaClient
import Testing

@testable import Runtime

/// Offsets may skip ahead (transaction markers, compaction, retention) but never go back.
struct OffsetRegressionTests {
    @Test func onlyAnOffsetBelowTheReadPositionIsARegression() {
        #expect(!OffsetRegression.isRegression(0, expected: nil), "nothing read yet: any offset starts the partition")
        #expect(!OffsetRegression.isRegression(50, expected: 50))
        #expect(!OffsetRegression.isRegression(52, expected: 50), "a gap ahead: a marker or compacted records")
        #expect(OffsetRegression.isRegression(49, expected: 50))
        #expect(OffsetRegression.isRegression(0, expected: 50_000))
    }

    @Test func theMessageNamesThePartitionTheOffsetsAndWhatToDo() {
        let regression = OffsetRegression(partition: TopicPartition("orders", 2), expected: 50_000, delivered: 0)
        let message = regression.message(application: "order-totals")
        #expect(message.hasPrefix("orders-2: Kafka delivered offset 0 where offset 50000 or later was expected"), "\(message)")
        #expect(message.contains("the consumer group `order-totals`'s committed offsets"), "\(message)")
        #expect(message.contains("everything committed stays as it was"), "\(message)")
    }
}
