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

    /// The offsets a restarted broker has for group `g`, topic `t`, partition 0.
    func committedAfterRestart(_ dir: String) throws -> (offset: Int64, metadata: String?) {
        let restarted = try makeState(dataDirectory: dir)
        let p = restarted.offsetFetch(try TestRequests.offsetFetch(group: "g", topic: "t", requireStable: true)).topics[0].partitions[0]
        restarted.store?.close()
        return (p.offset, p.metadata)
    }

    /// Starts a broker on `dir` (topic `t` created unless `createTopic` is false), commits
    /// these offsets of group `g` on `t`-0 one by one, and stops it.
    func commit(_ commits: [(offset: Int64, metadata: String)], in dir: String, createTopic: Bool = true) throws {
        var state = try makeState(dataDirectory: dir)
        if createTopic { state.createTopic("t", partitions: 1) }
        for commit in commits {
            _ = state.offsetCommit(try TestRequests.offsetCommit(group: "g", topic: "t", offset: commit.offset, metadata: commit.metadata))
        }
        state.store?.close()
    }

    @Test func aTornLastStateLineFallsBackToTheStateBefore() throws {
        let dir = try TestKafka.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try commit([(1, "first"), (2, "second")], in: dir)
        let log = URL(fileURLWithPath: dir + "/state.log")
        let whole = try Data(contentsOf: log)
        #expect(whole.filter { $0 == 0x0A }.count >= 3, "one line per change")
        // A crash in the middle of writing the last line.
        try whole.prefix(whole.count - 10).write(to: log)
        let committed = try committedAfterRestart(dir)
        #expect(committed.offset == 1)
        #expect(committed.metadata == "first")
        // The torn line is gone: what is written next is read back after the next restart.
        try commit([(3, "third")], in: dir, createTopic: false)
        #expect(try committedAfterRestart(dir).metadata == "third")
    }

    @Test func aDataDirectoryWithTheOlderStateJSONStillLoads() throws {
        let dir = try TestKafka.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try commit([(5, "old")], in: dir)
        // What a broker before state.log left: the newest state as state.json.
        let log = URL(fileURLWithPath: dir + "/state.log")
        let newest = try Data(contentsOf: log).split(separator: 0x0A).last!
        try Data(newest).write(to: URL(fileURLWithPath: dir + "/state.json"))
        try FileManager.default.removeItem(at: log)
        let committed = try committedAfterRestart(dir)
        #expect(committed.offset == 5)
        #expect(committed.metadata == "old")
        #expect(!FileManager.default.fileExists(atPath: dir + "/state.json"))
        #expect(FileManager.default.fileExists(atPath: dir + "/state.log"))
    }

    @Test func aStateLogWithNoReadableLineIsRefusedByName() throws {
        let dir = try TestKafka.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data("{not json\n".utf8).write(to: URL(fileURLWithPath: dir + "/state.log"))
        let error = #expect(throws: DevBrokerError.self) { _ = try makeState(dataDirectory: dir) }
        #expect(error?.description.contains("state.log") == true)
    }
    @Test func aDataDirectoryThatCannotBeCreatedIsNamedWithTheSystemsReasonAndTheCallersAdvice() async throws {
        let dir = try TestKafka.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/a-file"
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        let byDefault = await #expect(throws: DevBrokerError.self) {
            let started = try await DevBroker.start(DevBrokerConfiguration(port: 0, dataDirectory: file + "/data"))
            await started.stop()
        }
        #expect(byDefault?.code == .dataDirectory)
        // The path Foundation names is the one its mkdir failed on: `a-file/data` here.
        #expect(byDefault?.description.hasPrefix("cannot create the data directory \(file)/data (\(file)") == true)
        #expect(byDefault?.description.hasSuffix(": Not a directory); pick a writable --data-dir") == true)
        #expect(byDefault?.description.contains("NSCocoaErrorDomain") == false)
        let embedded = await #expect(throws: DevBrokerError.self) {
            let started = try await DevBroker.start(DevBrokerConfiguration(
                port: 0, dataDirectory: file + "/data",
                remedies: .init(unwritableDataDirectory: "set checkpoint.dir", unboundAddress: "pick another port")))
            await started.stop()
        }
        #expect(embedded?.description.hasSuffix("Not a directory); set checkpoint.dir") == true)
    }

    @Test func anAddressInUseIsNamedWithTheCallersAdvice() async throws {
        let first = try await DevBroker.start(DevBrokerConfiguration(port: 0))
        let error = await #expect(throws: DevBrokerError.self) {
            let second = try await DevBroker.start(DevBrokerConfiguration(
                port: first.port, remedies: .init(unwritableDataDirectory: "", unboundAddress: "pick another port")))
            await second.stop()
        }
        await first.stop()
        #expect(error?.code == .listen)
        #expect(error?.description == "cannot listen on 127.0.0.1:\(first.port): Address already in use; pick another port")
    }
}
