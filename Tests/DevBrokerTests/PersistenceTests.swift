import Foundation
import Testing
@testable import DevBroker
import ExactlyTesting

@Suite("Data directory")
struct PersistenceTests {
    @Test func restartKeepsRecordsOffsetsMetadataAndAbortsTheOpenTransaction() throws {
        let dir = try TestKafka.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var pid: InitProducerIdResponse
        do {
            var state = try makeState(dataDirectory: dir)
            state.createTopic("t", partitions: 2)
            _ = try state.produceOne("t", TestBatch.make(["kept-1", "kept-2"]))
            pid = try state.transaction("tx", topic: "t", values: ["committed"], commit: true)
            _ = state.addPartitionsToTxn(try TestRequests.addPartitions("tx", pid, topic: "t"), nowMs: 0)
            _ = try state.produceOne("t", TestBatch.make(["open"], producerId: pid.producerId, epoch: pid.producerEpoch, baseSequence: 1, transactional: true), transactionalId: "tx")
            _ = state.offsetCommit(try TestRequests.offsetCommit(group: "g", topic: "t", offset: 2, metadata: "ckpt-1"))
            state.store?.close()
        }
        var restarted = try makeState(dataDirectory: dir)
        #expect(restarted.topics["t"]?.count == 2)
        #expect(try restarted.visibleValues("t", readCommitted: false) == ["kept-1", "kept-2", "committed", "open"])
        #expect(try restarted.visibleValues("t", readCommitted: true) == ["kept-1", "kept-2", "committed"])
        let p = restarted.fetch(try TestRequests.fetch("t", offset: 0, readCommitted: true)).topics[0].partitions[0]
        #expect(p.lastStableOffset == p.highWatermark)
        let offset = restarted.offsetFetch(try TestRequests.offsetFetch(group: "g", topic: "t", requireStable: true)).topics[0].partitions[0]
        #expect(offset.offset == 2)
        #expect(offset.metadata == "ckpt-1")
        // The producer that held the transaction before the restart is fenced.
        #expect(restarted.endTxn(try TestRequests.endTxn("tx", pid, commit: true), nowMs: 0) == .invalidProducerEpoch)
        // Idempotence state was rebuilt from the log: a retried batch is still a duplicate.
        let next = try restarted.initProducerId(TestRequests.initProducerId("tx"), nowMs: 0)
        #expect(next.producerEpoch > pid.producerEpoch)
    }

    @Test func tornBatchAtTheEndOfAPartitionFileIsCutOff() throws {
        let dir = try TestKafka.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            var state = try makeState(dataDirectory: dir)
            state.createTopic("t", partitions: 1)
            _ = try state.produceOne("t", TestBatch.make(["whole"]))
            _ = try state.produceOne("t", TestBatch.make(["torn"]))
            state.store?.close()
        }
        let file = dir + "/logs/t-0.log"
        let data = try Data(contentsOf: URL(fileURLWithPath: file))
        try data.prefix(data.count - 3).write(to: URL(fileURLWithPath: file))
        var state = try makeState(dataDirectory: dir)
        #expect(try state.visibleValues("t", readCommitted: false) == ["whole"])
        #expect(try state.produceOne("t", TestBatch.make(["after"])).baseOffset == 1)
    }
}
