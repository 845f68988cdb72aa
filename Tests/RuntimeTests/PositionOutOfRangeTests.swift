import KafkaClient
import Testing

@testable import Runtime

/// What the processor does when librdkafka stopped fetching a source partition, its position
/// out of range, given the log's range read right after and the partition's own position.
struct PositionOutOfRangeTests {
    let partition = TopicPartition("orders", 3)

    func decide(
        reported: Int64 = 1_000, expected: Int64 = 1_000, start: Int64, end: Int64, policy: DeletedRecordsPolicy = .stop,
        mutedUntil: Int64 = 0, recentRestarts: Int = 0
    ) -> PositionOutOfRange.Decision {
        PositionOutOfRange(partition: partition, reported: reported, expected: expected).decide(
            logStart: start, logEnd: end, policy: policy, mutedUntil: mutedUntil, recentRestarts: recentRestarts, application: "order-totals")
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
        guard case .restart(let offset, let skipped, let warning) = decide(start: 1_500, end: 2_000, policy: .skip) else {
            Issue.record("skip must go on")
            return
        }
        #expect(offset == 1_500)
        #expect(skipped == 500)
        #expect(warning.contains("1000..<1500"), "\(warning)")
        #expect(warning.contains("Going on from offset 1500"), "\(warning)")
    }

    /// The partition's own position decides, not the offset librdkafka reported: a fetch
    /// answered after an abort rolled the partition back names an offset it no longer reads from.
    @Test func theLanesPositionDecidesNotTheReportedOffset() {
        #expect(decide(reported: 1_800, expected: 1_200, start: 1_000, end: 2_000).restartOffset == 1_200,
                "the log holds the lane's position: read from there, not from the reported offset")
        guard case .stop(let message) = decide(reported: 1_800, expected: 900, start: 1_000, end: 2_000) else {
            Issue.record("records the lane still needs were deleted")
            return
        }
        #expect(message.contains("offsets 900..<1000"), "\(message)")
    }

    @Test func aMutedReplayThatLostRecordsSaysItsStateLacksThem() {
        for policy in DeletedRecordsPolicy.allCases {
            let text: String
            switch decide(start: 1_500, end: 2_000, policy: policy, mutedUntil: 1_800) {
            case .stop(let message): text = message
            case .restart(_, _, let warning): text = warning
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

    @Test func aPositionTheLogHoldsIsReadAgainAFewTimesAMinuteThenStops() {
        for recent in 0..<PositionOutOfRange.restartsAtMost {
            #expect(decide(start: 0, end: 2_000, recentRestarts: recent) == .restart(
                at: 1_000, skipped: 0,
                warning: "orders-3: Kafka refused to fetch offset 1000 as out of range, but the log now holds 0..<2000 (its leader may have changed meanwhile): reading from offset 1000 again"))
        }
        guard case .stop(let message) = decide(start: 0, end: 2_000, recentRestarts: PositionOutOfRange.restartsAtMost) else {
            Issue.record("a refusal the log's range contradicts must not be retried forever")
            return
        }
        #expect(message.contains("Kafka refused to fetch offset 1000 as out of range, while the log's range it reports (0..<2000) holds"), "\(message)")
        // The edges: the position is the log's first record, or its end (the next record to come).
        #expect(decide(start: 1_000, end: 2_000).restartOffset == 1_000)
        #expect(decide(start: 0, end: 1_000).restartOffset == 1_000)
    }

    /// librdkafka reports a logical offset when it could not look up where the log starts (a
    /// fresh partition) or ends: that is no deletion; the partition is started there again.
    @Test func aLogicalOffsetIsLookedUpAgainNotTakenForDeletedRecords() {
        let start = KafkaConsumer.logStartPosition
        let decision = decide(reported: start, expected: start, start: 300, end: 2_000)
        #expect(decision == .restart(
            at: start, skipped: 0,
            warning: "orders-3: librdkafka could not look up where the log starts, but the log now holds 300..<2000 (its leader may have changed meanwhile): reading from the log's start again"))
    }
}

extension PositionOutOfRange.Decision {
    var restartOffset: Int64? { if case .restart(let offset, _, _) = self { offset } else { nil } }
}
