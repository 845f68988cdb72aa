import ExactlyTesting
import KafkaClient
import Logging
import Testing

@testable import Runtime

/// The replay's read of committed offsets, over a stand-in read and clock (no I/O): it waits
/// while the offsets are held, says why and for how long, and gives up with what to do.
@Suite struct CommittedOffsetsReaderTests {
    let partitions = [TopicPartition("orders", 3), TopicPartition("orders", 1)]
    let held = KafkaError(.timedOut, "Local: Timed out", rdKafkaCode: -185, isRetriable: true)

    /// A clock that moves only when the reader tries or pauses.
    final class Clock: @unchecked Sendable {
        var now = ContinuousClock.now
    }

    @Test func offsetsHeldForAWhileAreReadOnceFreeWithAWarningThatSaysWhy() throws {
        let log = CapturingLogHandler()
        let clock = Clock()
        var tries: [Duration] = []
        let expected = [TopicPartition("orders", 1): PartitionOffset(TopicPartition("orders", 1), offset: 7, metadata: "exactly:c1")]
        let committed = try CommittedOffsetsReader.read(
            partitions, transactionalID: "order-totals-0", transactionTimeout: .seconds(60), logger: Logger(label: "test") { _ in log },
            now: { clock.now }, pause: { clock.now += $0 }
        ) { (timeout) throws(KafkaError) in
            tries.append(timeout)
            clock.now += timeout
            if tries.count < 4 { throw held }
            return expected
        }
        #expect(committed == expected)
        #expect(tries == [.seconds(3), .seconds(5), .seconds(5), .seconds(5)], "a first try of 3 s, then 5 s each")
        let warnings = log.messages(at: .warning)
        try #require(warnings.count == 1)
        #expect(warnings[0].hasPrefix("orders-1, orders-3: their committed offsets could not be read within 3.0 s (Local: Timed out"))
        #expect(warnings[0].contains("The replay waits"))
        #expect(!warnings[0].contains("paused"), "the processor's wording does not fit a tool")
        #expect(warnings[0].contains("if it is this instance's own, transactional id `order-totals-0`, starting the instance without --replay-from-checkpoint ends it at once"))
        #expect(log.messages(at: .notice) == ["orders-1, orders-3: committed offsets read after waiting 18 s"], "3 s and three tries of 5 s")
    }

    @Test func aReadThatFailsFastIsTriedOnceASecondAndGivenUpWithWhatToDo() {
        let log = CapturingLogHandler()
        let clock = Clock()
        var tries = 0
        #expect {
            _ = try CommittedOffsetsReader.read(
                partitions, transactionalID: "order-totals-0", transactionTimeout: .seconds(60), logger: Logger(label: "test") { _ in log },
                now: { clock.now }, pause: { clock.now += $0 }
            ) { (_) throws(KafkaError) in
                tries += 1
                throw held  // at once: no broker at all
            }
        } throws: { error in
            let message = "\(error)"
            return message.hasPrefix("the committed offsets of orders-1, orders-3 could not be read for 300 s")
                && message.contains("find-hanging")
                && message.contains("Nothing was replayed or produced")
        }
        #expect(tries == 301, "one try at once, then one a second for 300 s")
        let reminders = log.messages(at: .warning).dropFirst()
        #expect(reminders.count == 19, "a reminder every 15 s")
        #expect(reminders.allSatisfy { !$0.contains("other partitions") })
    }

    @Test func aFailureThatIsNotRetriableStopsAtOnce() {
        var tries = 0
        #expect {
            _ = try CommittedOffsetsReader.read(partitions, transactionalID: "order-totals-0", transactionTimeout: .seconds(60), logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }) { (_) throws(KafkaError) in
                tries += 1
                throw KafkaError(.broker, "Broker: Group authorization failed", rdKafkaCode: 30)
            }
        } throws: { error in
            "\(error)".hasPrefix("reading the committed offsets of orders-1, orders-3 failed: Broker: Group authorization failed")
                && "\(error)".hasSuffix("Nothing was replayed or produced, and everything committed stays as it was")
        }
        #expect(tries == 1)
    }
}
