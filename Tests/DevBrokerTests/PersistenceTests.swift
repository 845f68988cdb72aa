import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing
@testable import DevBroker
import ExactlyTesting

@Suite("Data directory")
struct PersistenceTests {
    /// A broker restarted under a transaction: records, offsets and metadata are kept, and so is
    /// the open transaction, as Kafka's coordinator keeps it: its producer (a client reconnecting
    /// after the restart) goes on, retries included, and commits it.
    @Test func restartKeepsRecordsOffsetsMetadataAndTheOpenTransactionForItsProducer() throws {
        let dir = try TestKafka.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let pid = try stateWithAnOpenTransaction(in: dir)
        var restarted = try makeState(dataDirectory: dir)
        #expect(restarted.topics["t"]?.count == 2)
        #expect(try restarted.visibleValues("t", readCommitted: false) == ["kept-1", "kept-2", "committed", "open"])
        #expect(try restarted.visibleValues("t", readCommitted: true) == ["kept-1", "kept-2", "committed"])
        let p = restarted.fetch(try TestRequests.fetch("t", offset: 0, readCommitted: true)).topics[0].partitions[0]
        #expect(p.lastStableOffset < p.highWatermark, "the open transaction still holds read_committed readers back")
        let offset = restarted.offsetFetch(try TestRequests.offsetFetch(group: "g", topic: "t", requireStable: true)).topics[0].partitions[0]
        #expect(offset.offset == 2)
        #expect(offset.metadata == "ckpt-1")
        // Idempotence state was rebuilt from the log: a retried batch is a duplicate, the next one follows.
        let retried = try restarted.produceOne("t", TestBatch.make(["open"], producerId: pid.producerId, epoch: pid.producerEpoch, baseSequence: 1, transactional: true), transactionalId: "tx")
        #expect(retried.errorCode == .none)
        #expect(retried.baseOffset == 4, "the batch already written (after the commit marker at 3), not a second copy")
        let next = try restarted.produceOne("t", TestBatch.make(["open-2"], producerId: pid.producerId, epoch: pid.producerEpoch, baseSequence: 2, transactional: true), transactionalId: "tx")
        #expect(next.errorCode == .none)
        #expect(restarted.endTxn(try TestRequests.endTxn("tx", pid, commit: true), nowMs: 1_000) == .none)
        #expect(try restarted.visibleValues("t", readCommitted: true) == ["kept-1", "kept-2", "committed", "open", "open-2"])
    }

    /// A transaction open at a restart whose producer never comes back is aborted after its
    /// timeout, counted from when it began (not from the restart), and that producer is fenced.
    @Test func aTransactionOpenAtARestartWhoseProducerNeverReturnsIsAbortedAfterItsTimeout() throws {
        let dir = try TestKafka.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let pid = try stateWithAnOpenTransaction(in: dir)
        var restarted = try makeState(dataDirectory: dir)
        _ = restarted.tick(nowMs: 0, wallMs: 60_000)
        #expect(try restarted.visibleValues("t", readCommitted: true) == ["kept-1", "kept-2", "committed"], "open until its timeout")
        _ = restarted.tick(nowMs: 0, wallMs: 60_001)
        let p = restarted.fetch(try TestRequests.fetch("t", offset: 0, readCommitted: true)).topics[0].partitions[0]
        #expect(p.lastStableOffset == p.highWatermark)
        #expect(try restarted.visibleValues("t", readCommitted: true) == ["kept-1", "kept-2", "committed"], "aborted")
        #expect(restarted.endTxn(try TestRequests.endTxn("tx", pid, commit: true), nowMs: 0) == .invalidProducerEpoch)
        let successor = try restarted.initProducerId(TestRequests.initProducerId("tx"), nowMs: 0)
        #expect(successor.producerEpoch > pid.producerEpoch)
    }

    /// Topic `t` (2 partitions) with two plain records, a committed transaction of `tx`, and an
    /// open one holding `open` (began at 0 ms, timeout 60 s); group `g` at offset 2 (`ckpt-1`).
    /// The broker then stops; returns the producer of `tx`.
    private func stateWithAnOpenTransaction(in dir: String) throws -> InitProducerIdResponse {
        var state = try makeState(dataDirectory: dir)
        state.createTopic("t", partitions: 2)
        _ = try state.produceOne("t", TestBatch.make(["kept-1", "kept-2"]))
        let pid = try state.transaction("tx", topic: "t", values: ["committed"], commit: true)
        _ = state.addPartitionsToTxn(try TestRequests.addPartitions("tx", pid, topic: "t"), nowMs: 0)
        _ = try state.produceOne("t", TestBatch.make(["open"], producerId: pid.producerId, epoch: pid.producerEpoch, baseSequence: 1, transactional: true), transactionalId: "tx")
        _ = state.offsetCommit(try TestRequests.offsetCommit(group: "g", topic: "t", offset: 2, metadata: "ckpt-1"))
        state.store?.close()
        return pid
    }

    /// A broker killed inside a commit, after its decision was saved: at the first marker, or
    /// with one of its two partitions marked.
    @Test(arguments: [0, 1])
    func aCommitDecidedBeforeTheBrokerStoppedIsFinishedOnRestart(markedBeforeTheKill: Int) throws {
        let dir = try TestKafka.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var pid: InitProducerIdResponse
        do {
            var state = try makeState(dataDirectory: dir)
            pid = try state.openTwoPartitionTransaction()
            state.prepareCommit("tx")
            var marked = state.transactions["tx"]!
            marked.partitions = Set([TopicPartition(topic: "t", partition: 0)].prefix(markedBeforeTheKill))
            state.writeMarkers(marked, commit: true, nowMs: 0)
            state.store?.close()  // killed here
        }
        var restarted = try makeState(dataDirectory: dir)
        try restarted.expectTwoPartitionTransactionCommitted(pid)
    }

    /// The same through EndTxn itself: the second marker's write fails (as on a full disk), so
    /// the broker stops inside the commit. Written before the decision was saved, the first
    /// marker would have made that partition's output visible while a restart aborted the rest
    /// and dropped the offsets.
    @Test func aCommitWhoseMarkerCannotBeWrittenIsFinishedByTheNextStartThatCan() throws {
        let dir = try TestKafka.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/logs/t-1.log", aside = dir + "/t-1.log.aside"
        var pid: InitProducerIdResponse
        do {
            var state = try makeState(dataDirectory: dir)
            pid = try state.openTwoPartitionTransaction()
            state.store?.close()  // the next writes open their files again, by path
            try FileManager.default.moveItem(atPath: file, toPath: aside)
            try FileManager.default.createDirectory(atPath: file, withIntermediateDirectories: false)
            _ = state.endTxn(try TestRequests.endTxn("tx", pid, commit: true), nowMs: 0)  // not answered: BrokerCore sees the failure
            #expect(state.storageFailure?.hasPrefix("cannot write the transaction marker of t-1 to the data directory (\(file): Is a directory)") == true)
            state.store?.close()
        }
        // A start that still cannot use the partition's file is refused, and keeps the decision.
        let refused = #expect(throws: DevBrokerError.self) { _ = try makeState(dataDirectory: dir) }
        #expect(refused?.description.hasPrefix("cannot read t-1 from the data directory (\(file): ") == true, "\(String(describing: refused))")
        try FileManager.default.removeItem(atPath: file)
        try FileManager.default.moveItem(atPath: aside, toPath: file)
        var restarted = try makeState(dataDirectory: dir)
        try restarted.expectTwoPartitionTransactionCommitted(pid)
    }

    /// A deleted topic whose file outlived the deletion (the broker stopped between saving the
    /// deletion and removing the file) does not lend its records to a topic of the same name.
    @Test func aFileLeftByADeletedTopicIsNotReadAsANewTopicOfTheSameName() throws {
        let dir = try TestKafka.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/logs/t-0.log"
        do {
            var state = try makeState(dataDirectory: dir)
            state.createTopic("t", partitions: 1)
            _ = try state.produceOne("t", TestBatch.make(["deleted"]))
            let left = try Data(contentsOf: URL(fileURLWithPath: file))
            guard case .deleteTopics(let request) = try TestRequests.decode(.deleteTopics, 3, { w in
                w.arrayCount(1); w.string("t"); w.int32(1000)
            }) else { fatalError() }
            #expect(state.deleteTopics(request).topics.map(\.errorCode) == [.none])
            #expect(!FileManager.default.fileExists(atPath: file))
            try left.write(to: URL(fileURLWithPath: file))  // as if the broker had stopped before removing it
            state.store?.close()
        }
        var restarted = try makeState(dataDirectory: dir)
        #expect(restarted.topics["t"] == nil)
        restarted.createTopic("t", partitions: 1)
        _ = try restarted.produceOne("t", TestBatch.make(["new"]))
        #expect(try restarted.visibleValues("t", readCommitted: false) == ["new"])
        restarted.store?.close()
        #expect(try makeState(dataDirectory: dir).visibleValues("t", readCommitted: false) == ["new"])
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

    @Test func aDataDirectoryWhoseFilesCannotBeWrittenIsNamedWithTheCallersAdvice() async throws {
        // The directory exists and its logs can be made, but the state log cannot be written:
        // a directory stands where the file goes (tests run as root, which any permission allows).
        let dir = try TestKafka.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/state.log", withIntermediateDirectories: true)
        let error = await #expect(throws: DevBrokerError.self) {
            let started = try await DevBroker.start(DevBrokerConfiguration(
                port: 0, dataDirectory: dir,
                remedies: .init(unwritableDataDirectory: "set checkpoint.dir", unboundAddress: "pick another port")))
            await started.stop()
        }
        #expect(error?.code == .dataDirectory)
        #expect(error?.description.hasPrefix("cannot use the data directory \(dir) (") == true, "\(String(describing: error))")
        #expect(error?.description.hasSuffix("); set checkpoint.dir") == true, "\(String(describing: error))")
        #expect(error?.description.contains("NSCocoaErrorDomain") == false)
    }

    /// A full disk, say, once the broker runs: the request whose write failed is not answered,
    /// nor is any after it, the failure is reported once, and what was written before is kept.
    @Test func aWriteThatFailsStopsTheBrokerAnsweringAndKeepsWhatItAcknowledged() throws {
        let dir = try TestKafka.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var state = try makeState(dataDirectory: dir)
        state.createTopic("kept", partitions: 1)
        state.createTopic("lost", partitions: 1)
        #expect(try state.produceOne("kept", TestBatch.make(["acknowledged"])).errorCode == .none)
        // A directory where the partition's file goes: the first write to it fails.
        try FileManager.default.createDirectory(atPath: dir + "/logs/lost-0.log", withIntermediateDirectories: true)
        let reported = Mutex<[String]>([])
        let core = BrokerCore(state: state, logger: Logger(label: "test"), onStorageFailure: { message in reported.withLock { $0.append(message) } })
        let loop = MultiThreadedEventLoopGroup.singleton.any()
        func answer(_ request: KafkaRequest) -> BrokerCore.Answer {
            core.handle(request, clientId: "test", clientHost: "test", on: loop)
        }
        guard case .now = answer(.produce(try TestRequests.produce("kept", TestBatch.make(["also acknowledged"])))) else {
            Issue.record("a write that worked was not answered")
            return
        }
        // A reader waiting for more records: its answer is held back, then failed.
        guard case .later(let waiting) = answer(.fetch(try TestRequests.fetch("kept", offset: 2, readCommitted: true, maxWaitMs: 30_000))) else {
            Issue.record("a fetch past the end was answered at once")
            return
        }
        guard case .close = answer(.produce(try TestRequests.produce("lost", TestBatch.make(["never acknowledged"])))) else {
            Issue.record("the request whose write failed was answered")
            return
        }
        guard case .close = answer(.apiVersions), case .close = answer(.produce(try TestRequests.produce("kept", TestBatch.make(["after"])))) else {
            Issue.record("a request after the failure was answered")
            return
        }
        #expect(throws: ChannelError.self) { _ = try waiting.wait() }
        let messages = reported.withLock { $0 }
        #expect(messages.count == 1)
        #expect(messages.first?.hasPrefix("cannot write to lost-0 in the data directory (\(dir)/logs/lost-0.log: ") == true, "\(messages)")
        #expect(messages.first?.hasSuffix("Free space or fix the directory, then restart: pick a writable --data-dir") == true, "\(messages)")
        #expect(core.storageFailure == messages.first)
        core.close()

        try FileManager.default.removeItem(atPath: dir + "/logs/lost-0.log")
        let restarted = try makeState(dataDirectory: dir)
        #expect(try restarted.visibleValues("kept", readCommitted: true) == ["acknowledged", "also acknowledged"])
        #expect(try restarted.visibleValues("lost", readCommitted: true).isEmpty)
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

    /// A second broker on a running broker's data directory (`exactly run --dry-run` beside
    /// `exactly run` on the same `checkpoint.dir`, say) is refused before it reads anything:
    /// loading would replace the first one's `state.log` by a rename, and what the first one
    /// saved afterwards would go to the unlinked file, its committed offsets moving back at its
    /// next start. The first one goes on serving and keeping what it saves; once it stops, the
    /// directory can be used again.
    @Test func aSecondBrokerOnADataDirectoryInUseIsRefusedBeforeItReadsIt() async throws {
        let dir = try TestKafka.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let group = MultiThreadedEventLoopGroup.singleton
        let first = try await DevBroker.start(DevBrokerConfiguration(port: 0, dataDirectory: dir))
        #expect(try await Self.commitOverTheWire(port: first.port, group: group, offset: 1, metadata: "before") == 0)
        let stateLog = dir + "/state.log"
        let (inode, contents) = (try Self.inode(stateLog), try Data(contentsOf: URL(fileURLWithPath: stateLog)))

        // Its own port, free: only the directory stands in its way.
        let byDefault = await #expect(throws: DevBrokerError.self) {
            let second = try await DevBroker.start(DevBrokerConfiguration(port: 0, dataDirectory: dir))
            await second.stop()
        }
        #expect(byDefault?.code == .dataDirectoryInUse)
        #expect(byDefault?.description == "the data directory \(dir) is in use by another broker in this process (pid \(getpid())); stop that broker, or pick another --data-dir")
        let embedded = await #expect(throws: DevBrokerError.self) {
            let second = try await DevBroker.start(DevBrokerConfiguration(
                port: 0, dataDirectory: dir, remedies: .init(unwritableDataDirectory: "", unboundAddress: "", dataDirectoryInUse: "stop it, or set another checkpoint.dir")))
            await second.stop()
        }
        #expect(embedded?.description.hasSuffix("(pid \(getpid())); stop it, or set another checkpoint.dir") == true, "\(String(describing: embedded))")

        #expect(try Self.inode(stateLog) == inode, "state.log was not replaced")
        #expect(try Data(contentsOf: URL(fileURLWithPath: stateLog)) == contents)
        #expect(try await Self.commitOverTheWire(port: first.port, group: group, offset: 2, metadata: "after") == 0)
        await first.stop()
        let committed = try committedAfterRestart(dir)
        #expect(committed.offset == 2, "the commit made after the refused start was kept")
        #expect(committed.metadata == "after")

        let third = try await DevBroker.start(DevBrokerConfiguration(port: 0, dataDirectory: dir))
        #expect(try await Self.commitOverTheWire(port: third.port, group: group, offset: 3, metadata: "third") == 0)
        await third.stop()
        #expect(try committedAfterRestart(dir).metadata == "third")
    }

    /// The holder's pid is named when it is another process; the lock, not the file's text,
    /// decides (here held without a broker, its text written as another process would).
    @Test func aDataDirectoryLockedByAnotherProcessNamesItsPid() async throws {
        let dir = try TestKafka.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fd = open(dir + "/.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        try #require(fd >= 0)
        try #require(flock(fd, LOCK_EX | LOCK_NB) == 0)
        _ = Array("4242\n".utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let error = await #expect(throws: DevBrokerError.self) {
            let started = try await DevBroker.start(DevBrokerConfiguration(port: 0, dataDirectory: dir))
            await started.stop()
        }
        #expect(error?.description == "the data directory \(dir) is in use by another broker (pid 4242); stop that broker, or pick another --data-dir")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == [".lock"], "nothing made before the refusal")
        close(fd)  // as when that process ends, however it ends
        let started = try await DevBroker.start(DevBrokerConfiguration(port: 0, dataDirectory: dir))
        await started.stop()
    }

    /// A start that fails after taking the directory (its address in use, its state unreadable)
    /// lets the directory go: the retry the error advises is not refused as "in use".
    @Test func aStartThatFailsLetsTheDataDirectoryGo() async throws {
        let dir = try TestKafka.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let occupier = try await DevBroker.start(DevBrokerConfiguration(port: 0))
        let unbound = await #expect(throws: DevBrokerError.self) {
            let started = try await DevBroker.start(DevBrokerConfiguration(port: occupier.port, dataDirectory: dir))
            await started.stop()
        }
        await occupier.stop()
        #expect(unbound?.code == .listen)
        try Data("{not json\n".utf8).write(to: URL(fileURLWithPath: dir + "/state.log"))
        let unreadable = await #expect(throws: DevBrokerError.self) {
            let started = try await DevBroker.start(DevBrokerConfiguration(port: 0, dataDirectory: dir))
            await started.stop()
        }
        #expect(unreadable?.code == .dataDirectory)
        try FileManager.default.removeItem(atPath: dir + "/state.log")
        let started = try await DevBroker.start(DevBrokerConfiguration(port: 0, dataDirectory: dir))
        await started.stop()
    }

    private static func inode(_ path: String) throws -> Int {
        try #require(FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int)
    }

    /// Commits `offset` for group `g` on `t`-0 through a connection to the broker (OffsetCommit
    /// v7, no member: as a standalone consumer commits); returns the partition's error code.
    private static func commitOverTheWire(port: Int, group: EventLoopGroup, offset: Int64, metadata: String) async throws -> Int16 {
        let client = try await WireClient.connect(port: port, group: group)
        try await client.send(ApiKey.offsetCommit.rawValue, version: 7, correlationId: 1, body: TestRequests.body { w in
            w.string("g"); w.int32(-1); w.string(""); w.string(nil)
            w.arrayCount(1); w.string("t")
            w.arrayCount(1); w.int32(0); w.int64(offset); w.int32(-1); w.string(metadata)
        })
        let frame = await client.next()
        await client.close()
        var r = KafkaReader(try #require(frame))
        #expect(try r.int32() == 1)
        _ = try r.int32()  // throttle time
        let errors = try r.array("topics") { r in
            _ = try r.string()
            return try r.array("partitions") { r in
                _ = try r.int32()
                return try r.int16()
            }
        }
        return try #require(errors.first?.first)
    }
}

extension BrokerState {
    /// Topic `t` with 2 partitions, group `g` at offset 5 (`ckpt-1`), and transaction `tx` open
    /// with one output in each partition (`out-0`, `out-1`) and offset 9 (`ckpt-2`) for `g`.
    mutating func openTwoPartitionTransaction() throws -> InitProducerIdResponse {
        createTopic("t", partitions: 2)
        _ = offsetCommit(try TestRequests.offsetCommit(group: "g", topic: "t", offset: 5, metadata: "ckpt-1"))
        let pid = try initProducerId(TestRequests.initProducerId("tx"), nowMs: 0)
        _ = addPartitionsToTxn(try TestRequests.addPartitions("tx", pid, topic: "t", partitions: [0, 1]), nowMs: 0)
        for partition: Int32 in [0, 1] {
            let batch = TestBatch.make(["out-\(partition)"], producerId: pid.producerId, epoch: pid.producerEpoch, baseSequence: 0, transactional: true)
            #expect(produce(try TestRequests.produce("t", partition: partition, transactionalId: "tx", batch), nowMs: 0).topics[0].partitions[0].errorCode == .none)
        }
        #expect(addOffsetsToTxn(try TestRequests.addOffsets("tx", pid, group: "g"), nowMs: 0) == .none)
        _ = txnOffsetCommit(try TestRequests.txnOffsetCommit("tx", pid, group: "g", topic: "t", offset: 9, metadata: "ckpt-2"))
        return pid
    }

    /// ``openTwoPartitionTransaction()``'s transaction committed exactly once: each output
    /// visible to read_committed behind one COMMIT marker (none aborted, none written twice),
    /// the group at offset 9, and the producer, not fenced, told on retrying its commit that it
    /// went through.
    mutating func expectTwoPartitionTransactionCommitted(_ pid: InitProducerIdResponse) throws {
        for partition: Int32 in [0, 1] {
            let p = fetch(try TestRequests.fetch("t", partition: partition, offset: 0, readCommitted: true)).topics[0].partitions[0]
            #expect(TestBatch.values(p.batches, aborted: p.abortedTransactions) == ["out-\(partition)"])
            #expect(p.abortedTransactions?.isEmpty ?? true)
            #expect(p.highWatermark == 2)
            #expect(p.lastStableOffset == 2)
        }
        let offset = offsetFetch(try TestRequests.offsetFetch(group: "g", topic: "t", requireStable: true)).topics[0].partitions[0]
        #expect(offset.offset == 9)
        #expect(offset.metadata == "ckpt-2")
        #expect(endTxn(try TestRequests.endTxn("tx", pid, commit: true), nowMs: 0) == .none)
    }
}
