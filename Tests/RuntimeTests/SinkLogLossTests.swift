import KafkaClient
import Testing

@testable import Runtime

@Suite struct SinkLogLossTests {
    @Test(arguments: [(Int32(45), "OUT_OF_ORDER_SEQUENCE_NUMBER"), (Int32(59), "UNKNOWN_PRODUCER_ID")])
    func aPartitionThatLostTheProducersRecordsIsExplainedNamingTheSink(code: Int32, name: String) throws {
        let error = KafkaError(.broker, "sequence desynchronization with broker 1", rdKafkaCode: code, isFatal: true)
        let explanation = try #require(SinkLogLoss.explanation(of: error, sinkTopics: ["totals", "totals-dead-letters"]))
        #expect(explanation.hasPrefix("Kafka no longer holds this producer's earlier records in a partition it writes to (\(name)): most likely `totals` or `totals-dead-letters` was deleted while the processor ran"))
        #expect(explanation.hasSuffix("(librdkafka: sequence desynchronization with broker 1)"))
    }

    @Test func otherErrorsAreLeftAsTheyAre() {
        let timedOut = KafkaError(.timedOut, "commit timed out", rdKafkaCode: -185, isRetriable: true)
        #expect(SinkLogLoss.explanation(of: timedOut, sinkTopics: ["totals"]) == nil)
        #expect(SinkLogLoss.explanation(of: CancellationError(), sinkTopics: ["totals"]) == nil)
    }
}
