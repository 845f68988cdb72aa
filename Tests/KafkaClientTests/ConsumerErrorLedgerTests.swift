import CRdKafka
import Testing

@testable import KafkaClient

@Suite struct ConsumerErrorLedgerTests {
    let start = ContinuousClock.now
    let unknownTopic = RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART.rawValue
    let transport = RD_KAFKA_RESP_ERR__TRANSPORT.rawValue

    @Test func eachKindIsLoggedOnceAMinuteWithHowManyWentUnlogged() {
        var ledger = ConsumerErrorLedger()
        let first = ledger.record(code: unknownTopic, text: "orders [0]: topic does not exist", at: start)
        #expect(first == "consumer error: orders [0]: topic does not exist [UNKNOWN_TOPIC_OR_PART] (repeats within 60.0 seconds are counted, not logged)")
        let secondSoon = ledger.record(code: unknownTopic, text: "orders [1]: topic does not exist", at: start + .seconds(1))
        #expect(secondSoon == nil)
        let lastBeforeAMinute = ledger.record(code: unknownTopic, text: "orders [2]: topic does not exist", at: start + .seconds(59))
        #expect(lastBeforeAMinute == nil)
        let anotherKind = ledger.record(code: transport, text: "broker down", at: start + .seconds(2))
        #expect(anotherKind != nil, "another kind is logged at once")
        let later = ledger.record(code: unknownTopic, text: "orders [3]: topic does not exist", at: start + .seconds(60))
        #expect(later == "consumer error: orders [3]: topic does not exist [UNKNOWN_TOPIC_OR_PART] (2 more like it since this was last logged)")
    }

    @Test func missingTopicReportsAreCountedUntilTakenAndOtherErrorsAreNot() {
        var ledger = ConsumerErrorLedger()
        _ = ledger.record(code: transport, text: "broker down", at: start)
        let noneYet = ledger.takeMissingTopicReports()
        #expect(noneYet == nil)
        _ = ledger.record(code: unknownTopic, text: "orders [0]: topic does not exist", at: start)
        _ = ledger.record(code: RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION.rawValue, text: "orders [1]: gone", at: start)
        let reports = ledger.takeMissingTopicReports()
        #expect(reports == MissingTopicReports(count: 2, first: "orders [0]: topic does not exist"))
        let afterTaking = ledger.takeMissingTopicReports()
        #expect(afterTaking == nil, "taken")
    }

    @Test func positionsOutOfRangeAreTakenOnceWithTheLatestPerPartition() {
        var ledger = ConsumerErrorLedger()
        #expect(ledger.takePositionsOutOfRange().isEmpty)
        ledger.positionOutOfRange(TopicPartition("orders", 0), offset: 10)
        ledger.positionOutOfRange(TopicPartition("orders", 1), offset: 20)
        ledger.positionOutOfRange(TopicPartition("orders", 0), offset: 30)
        #expect(ledger.takePositionsOutOfRange() == [TopicPartition("orders", 0): 30, TopicPartition("orders", 1): 20])
        #expect(ledger.takePositionsOutOfRange().isEmpty, "taken once")
    }
}
