import KafkaClient
import Testing

@testable import Runtime

/// What the processor does when librdkafka reports a source partition's position out of range,
/// given the log's range read right after.
struct PositionOutOfRangeTests {
    let report = PositionOutOfRange(partition: TopicPartition("orders", 3), position: 1_000)

    func decide(start: Int64, end: Int64, policy: DeletedRecordsPolicy = .stop, mutedUntil: Int64 = 0, seeksAgain: Int = 0) -> PositionOutOfRange.Decision {
        report.decide(logStart: start, logEnd: end, policy: policy, mutedUntil: mutedUntil, seeksAgain: seeksAgain, application: "order-totals")
    }

    @Test func recordsDeletedBeforeTheyWereProcessedStopTheProcessorByDefault() throws {
        guard case .stop(let message) = decide(start: 1_500, end: 2_000) else {
            Issue.record("records deleted unprocessed must stop the processor unless skipping is allowed")
            return
        }
        #expect(message.hasPrefix("orders-3: the records at offsets 1000..<1500 are no longer in the log (it now starts at offset 1500)"), "\(message)")
        #expect(message.contains("everything committed stays as it was"), "\(message)")
        #expect(message.contains("`source.on_deleted_records: skip`"), "\(message)")
        #expect(!message.contains("rebuilt"), "no muted replay was under way: \(message)")
    }

    @Test func skippingGoesOnFromTheLogStartAndSaysWhatWasLost() {
        guard case .seek(let offset, let warning) = decide(start: 1_500, end: 2_000, policy: .skip) else {
            Issue.record("skip must go on")
            return
        }
        #expect(offset == 1_500)
        #expect(warning.contains("1000..<1500"), "\(warning)")
        #expect(warning.contains("Going on from offset 1500"), "\(warning)")
    }

    @Test func aMutedReplayThatLostRecordsSaysItsStateLacksThem() {
        for policy in DeletedRecordsPolicy.allCases {
            let text: String
            switch decide(start: 1_500, end: 2_000, policy: policy, mutedUntil: 1_800) {
            case .stop(let message): text = message
            case .seek(_, let warning): text = warning
            }
            #expect(text.contains("replaying up to offset 1800 with the sink muted"), "\(policy): \(text)")
        }
    }

    @Test func aLogThatEndsBeforeThePositionStopsWhateverThePolicy() {
        for policy in DeletedRecordsPolicy.allCases {
            guard case .stop(let message) = decide(start: 0, end: 400, policy: policy) else {
                Issue.record("\(policy): a log cut short must stop the processor")
                continue
            }
            #expect(message.hasPrefix("orders-3: the log ends at offset 400, before this application's position 1000"), "\(message)")
            #expect(message.contains("the consumer group `order-totals`'s committed offsets"), "\(message)")
        }
    }

    @Test func aPositionTheLogHoldsIsReadAgainAFewTimesThenStops() {
        for seeksAgain in 0..<PositionOutOfRange.seeksAgainAtMost {
            #expect(decide(start: 0, end: 2_000, seeksAgain: seeksAgain) == .seek(
                to: 1_000, warning: "orders-3: Kafka refused to fetch offset 1000 as out of range, but the log now holds 0..<2000 (its leader may have changed meanwhile): reading from offset 1000 again"))
        }
        guard case .stop(let message) = decide(start: 0, end: 2_000, seeksAgain: PositionOutOfRange.seeksAgainAtMost) else {
            Issue.record("a refusal the log's range contradicts must not be retried forever")
            return
        }
        #expect(message.contains("keeps refusing to fetch offset 1000"), "\(message)")
        // The edges: the position is the log's first record, or its end (the next record to come).
        #expect(decide(start: 1_000, end: 2_000).isSeek)
        #expect(decide(start: 0, end: 1_000).isSeek)
    }
}

extension PositionOutOfRange.Decision {
    var isSeek: Bool { if case .seek = self { true } else { false } }
}
