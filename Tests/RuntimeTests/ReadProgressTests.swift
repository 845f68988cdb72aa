import KafkaClient
import Testing

@testable import Runtime

/// The `--dry-run` audit's reads say how far they are every few seconds, run as long as records
/// keep coming, and give up with a message that says where when nothing comes.
@Suite struct ReadProgressTests {
    private let start = ContinuousClock.now

    private func at(_ seconds: Double) -> ContinuousClock.Instant {
        start + .milliseconds(Int64(seconds * 1000))
    }

    @Test func aLineIsDueEveryIntervalWithTheCountAndShare() {
        var progress = ReadProgress("replaying the input", expected: 1_000, startedAt: start, interval: .seconds(5))
        #expect(progress.record(100, at: at(1)) == nil)
        #expect(progress.record(150, at: at(4.9)) == nil)
        #expect(progress.record(0, at: at(5)) == "replaying the input: 250 of about 1000 records (25%)")
        // The next one is an interval after that line, not after the start.
        #expect(progress.record(500, at: at(9)) == nil)
        #expect(progress.record(0, at: at(10)) == "replaying the input: 750 of about 1000 records (75%)")
        #expect(progress.arrived == 750)
    }

    @Test func theShareStopsAtAHundredAndAnEmptyReadIsComplete() {
        // The expected count comes from offsets, which the records read need not match exactly.
        var over = ReadProgress("reading the committed output", expected: 10, startedAt: start, interval: .seconds(1))
        #expect(over.record(12, at: at(1))?.hasSuffix("12 of about 10 records (100%)") == true)
        var empty = ReadProgress("reading the committed output", expected: 0, startedAt: start, interval: .seconds(1))
        #expect(empty.record(0, at: at(1))?.hasSuffix("0 of about 0 records (100%)") == true)
    }

    @Test func aReadStallsOnlyWhenNothingArrivesForTheWholeLimit() {
        var progress = ReadProgress("replaying the input", expected: 1_000, startedAt: start, stallLimit: .seconds(60))
        #expect(!progress.hasStalled(at: at(59)))
        #expect(progress.hasStalled(at: at(60)))
        // A long read is not cut short while records keep arriving.
        _ = progress.record(1, at: at(59))
        #expect(!progress.hasStalled(at: at(118)))
        _ = progress.record(0, at: at(118))  // a poll that brought nothing does not count
        #expect(progress.hasStalled(at: at(119)))
        // A position moving over transaction markers or aborted records is progress too.
        progress.moved(at: at(119))
        #expect(!progress.hasStalled(at: at(178)))
        #expect(progress.arrived == 1)
    }

    @Test func theErrorSaysWhereTheReadStoppedAndThatNothingWasWritten() {
        let error = ReplayAuditError(
            activity: "replaying the input", stalledFor: .seconds(60), arrived: 400, expected: 1_000,
            unfinished: [
                .init(partition: TopicPartition("orders", 1), position: 412, end: 700),
                .init(partition: TopicPartition("orders", 3), position: nil, end: 300),
            ])
        let text = error.description
        #expect(text.contains("while replaying the input: nothing arrived for 60 s"))
        #expect(text.contains("400 of about 1000 records read"))
        #expect(text.contains("\(TopicPartition("orders", 1)) at 412 of 700, \(TopicPartition("orders", 3)) at no position yet (end 300)"))
        #expect(text.contains("Check that Kafka is reachable"))
        #expect(text.hasSuffix("Nothing was produced or committed."))
    }

    /// Partitions an open transaction holds are named as such, with how long it can last and
    /// what to do, not as Kafka perhaps being unreachable.
    @Test func theErrorNamesATransactionThatHoldsThePartitionsOpen() {
        var error = ReplayAuditError(
            activity: "reading the committed output", stalledFor: .seconds(60), arrived: 200, expected: 312,
            unfinished: [.init(partition: TopicPartition("totals", 0), position: 71, end: 108)])
        error.heldOpen = [TopicPartition("totals", 0): 71]
        error.transactionTimeout = .seconds(900)
        let text = error.description
        #expect(text.contains("A TRANSACTION HOLDS THEM OPEN (\(TopicPartition("totals", 0)) from offset 71)"), "\(text)")
        #expect(text.contains("up to the producer's `transaction.timeout.ms` (this application's: 900 s) after it began"), "\(text)")
        #expect(text.contains("Run the dry run again once that has passed. (Starting the stopped instance would end it at once, but the application then goes on before the replay.)"), "\(text)")
        #expect(!text.contains("Check that Kafka is reachable"), "\(text)")
        #expect(text.hasSuffix("Nothing was produced or committed."))
    }
}
