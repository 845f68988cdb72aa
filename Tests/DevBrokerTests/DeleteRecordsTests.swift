import ExactlyTesting
import Foundation
import KafkaClient
import Logging
import NIOCore
import NIOPosix
import Testing
@testable import DevBroker

/// DeleteRecords on the broker's state, on the wire and across a restart.
@Suite("DeleteRecords")
struct DeleteRecordsTests {
    /// Topic `t` (partitions as asked) whose partition 0 holds offsets 0-2 (`a` `b` `c`, one
    /// batch), 3 (`d`) and 4-5 (`e` `f`).
    private func stateWithSixRecords(partitions: Int32 = 1, dataDirectory: String? = nil) throws -> BrokerState {
        var state = try makeState(dataDirectory: dataDirectory)
        state.createTopic("t", partitions: partitions)
        for values in [["a", "b", "c"], ["d"], ["e", "f"]] {
            #expect(try state.produceOne("t", TestBatch.make(values)).errorCode == .none)
        }
        return state
    }

    private func delete(_ state: inout BrokerState, topic: String = "t", _ offsets: [(partition: Int32, offset: Int64)]) throws -> [DeleteRecordsResponse.Partition] {
        state.deleteRecords(try TestRequests.deleteRecords(topic, offsets)).topics[0].partitions
    }

    private func fetch(_ state: BrokerState, offset: Int64, readCommitted: Bool = false) throws -> FetchResponse.Partition {
        state.fetch(try TestRequests.fetch("t", offset: offset, readCommitted: readCommitted)).topics[0].partitions[0]
    }

    private func earliestAndLatest(_ state: BrokerState, readCommitted: Bool = false) throws -> (Int64, Int64) {
        func offset(_ timestamp: Int64) throws -> Int64 {
            state.listOffsets(try TestRequests.listOffsets("t", timestamp: timestamp, readCommitted: readCommitted)).topics[0].partitions[0].offset
        }
        return (try offset(ListOffsetsRequest.earliest), try offset(ListOffsetsRequest.latest))
    }

    private static func baseOffset(_ batch: ByteBuffer) -> Int64 {
        batch.getInteger(at: batch.readerIndex, as: Int64.self)!
    }

    @Test func recordsBelowTheNewLogStartCannotBeFetchedAndEarliestIsTheLogStart() throws {
        var state = try stateWithSixRecords()
        #expect(try delete(&state, [(0, 2)]) == [.init(index: 0, lowWatermark: 2, errorCode: .none)])
        #expect(try fetch(state, offset: 0).errorCode == .offsetOutOfRange)
        #expect(try fetch(state, offset: 1).errorCode == .offsetOutOfRange)
        #expect(try earliestAndLatest(state) == (2, 6))
        // Kafka returns whole batches: the one holding the log start comes whole (the reader
        // skips the records before its fetch offset), and none that lies wholly below it.
        let atStart = try fetch(state, offset: 2)
        #expect(atStart.errorCode == .none)
        #expect(atStart.batches.map(Self.baseOffset) == [0, 3, 4])
        #expect(TestBatch.values(atStart.batches) == ["a", "b", "c", "d", "e", "f"])

        #expect(try delete(&state, [(0, 3)]) == [.init(index: 0, lowWatermark: 3, errorCode: .none)])
        #expect(try fetch(state, offset: 2).errorCode == .offsetOutOfRange)
        #expect(TestBatch.values(try fetch(state, offset: 3).batches) == ["d", "e", "f"])
        // Even asked from below the log start, the log itself hands out nothing wholly below it.
        let log = state.topics["t"]![0]
        #expect(log.read(from: 0, maxBytes: .max, limit: log.highWatermark).map(Self.baseOffset) == [3, 4])

        // A producer learns the log start with its acknowledgement (Produce v5 and later).
        let produced = try state.produceOne("t", TestBatch.make(["g"]))
        #expect(produced.baseOffset == 6)
        #expect(produced.logStartOffset == 3)
    }

    @Test func minusOneDeletesUpToTheHighWatermark() throws {
        var state = try stateWithSixRecords()
        #expect(try delete(&state, [(0, DeleteRecordsRequest.highWatermark)]) == [.init(index: 0, lowWatermark: 6, errorCode: .none)])
        #expect(try earliestAndLatest(state) == (6, 6))
        let empty = try fetch(state, offset: 6)
        #expect(empty.errorCode == .none)
        #expect(empty.batches.isEmpty)
        #expect(try fetch(state, offset: 5).errorCode == .offsetOutOfRange)
        #expect(try state.produceOne("t", TestBatch.make(["next"])).baseOffset == 6)
        #expect(TestBatch.values(try fetch(state, offset: 6).batches) == ["next"])
    }

    @Test func anOffsetBeyondTheHighWatermarkOrNegativeIsRefusedForItsPartitionOnly() throws {
        var state = try stateWithSixRecords(partitions: 3)
        let answers = try delete(&state, [(0, 4), (1, 1), (2, -2)])
        #expect(answers == [
            .init(index: 0, lowWatermark: 4, errorCode: .none),
            .init(index: 1, lowWatermark: -1, errorCode: .offsetOutOfRange),  // partition 1 is empty
            .init(index: 2, lowWatermark: -1, errorCode: .offsetOutOfRange),
        ])
        #expect(try delete(&state, [(0, 7)]) == [.init(index: 0, lowWatermark: -1, errorCode: .offsetOutOfRange)])
        #expect(state.topics["t"]!.map(\.logStartOffset) == [4, 0, 0])
        // Deleting an empty partition up to its high watermark (0) is allowed and changes nothing.
        #expect(try delete(&state, [(1, 0), (1, -1)]).map(\.lowWatermark) == [0, 0])
    }

    @Test func theLogStartNeverMovesBack() throws {
        var state = try stateWithSixRecords()
        _ = try delete(&state, [(0, 4)])
        #expect(try delete(&state, [(0, 1)]) == [.init(index: 0, lowWatermark: 4, errorCode: .none)])
        #expect(try earliestAndLatest(state) == (4, 6))
    }

    @Test func anUnknownTopicOrPartitionIsRefusedAndNotCreated() throws {
        var state = try stateWithSixRecords()
        #expect(state.autoCreateTopics)
        #expect(try delete(&state, topic: "missing", [(0, 0)]) == [.init(index: 0, lowWatermark: -1, errorCode: .unknownTopicOrPartition)])
        #expect(state.topics["missing"] == nil)
        #expect(try delete(&state, [(1, 0), (-1, 0)]).map(\.errorCode) == [.unknownTopicOrPartition, .unknownTopicOrPartition])
    }

    /// The log start may pass an open transaction's first records: the last stable offset
    /// never falls below it, the transaction stays open (it holds read_committed readers at the
    /// log start), and once it is aborted, a reader from the log start is told, and skips it.
    @Test func deletingIntoAnOpenTransactionKeepsItsBookkeeping() throws {
        var state = try makeState()
        state.createTopic("t", partitions: 1)
        _ = try state.produceOne("t", TestBatch.make(["p0"]))
        let pid = try state.initProducerId(TestRequests.initProducerId("tx"), nowMs: 0)
        _ = state.addPartitionsToTxn(try TestRequests.addPartitions("tx", pid, topic: "t"), nowMs: 0)
        let open = TestBatch.make(["t1", "t2"], producerId: pid.producerId, epoch: pid.producerEpoch, baseSequence: 0, transactional: true)
        #expect(try state.produceOne("t", open, transactionalId: "tx").baseOffset == 1)
        _ = try state.produceOne("t", TestBatch.make(["p3"]))
        #expect(try fetch(state, offset: 0, readCommitted: true).lastStableOffset == 1)

        _ = try delete(&state, [(0, 2)])
        let held = try fetch(state, offset: 2, readCommitted: true)
        #expect(held.errorCode == .none)
        #expect(held.lastStableOffset == 2, "at the log start, not the transaction's first offset below it")
        #expect(held.batches.isEmpty, "the open transaction holds read_committed readers")
        #expect(try earliestAndLatest(state, readCommitted: true) == (2, 2))

        #expect(state.endTxn(try TestRequests.endTxn("tx", pid, commit: false), nowMs: 0) == .none)
        let after = try fetch(state, offset: 2, readCommitted: true)
        #expect(after.lastStableOffset == 5)
        #expect(after.abortedTransactions == [AbortedTransaction(producerId: pid.producerId, firstOffset: 1, markerOffset: 4)])
        #expect(TestBatch.values(after.batches, aborted: after.abortedTransactions) == ["p3"])
    }

    @Test func anOffsetForATimestampIsNeverBelowTheLogStart() throws {
        var state = try makeState()
        _ = try state.produceOne("t", TestBatch.make(["a"], timestamp: 1_000))
        _ = try state.produceOne("t", TestBatch.make(["b", "c", "d"], timestamp: 2_000, timestampDeltas: [0, 100, 200]))
        _ = try delete(&state, [(0, 2)])
        func offset(_ timestamp: Int64) throws -> Int64 {
            state.listOffsets(try TestRequests.listOffsets("t", timestamp: timestamp, readCommitted: false)).topics[0].partitions[0].offset
        }
        #expect(try offset(0) == 2)
        #expect(try offset(2_000) == 2)
        #expect(try offset(2_150) == 3)
        #expect(try offset(9_999) == 4)
    }

    // MARK: - Data directory

    /// The newest state line of `dir`'s state.log as JSON, changed by `change`, written back.
    private func editState(in dir: String, _ change: (inout [String: Any]) -> Void) throws {
        let url = URL(fileURLWithPath: dir + "/state.log")
        let line = try #require(try Data(contentsOf: url).split(separator: 0x0A).last)
        var state = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
        change(&state)
        try (JSONSerialization.data(withJSONObject: state) + [0x0A]).write(to: url)
    }

    /// A reader waiting for more records learns at once that its position is gone, as Kafka
    /// answers a partition in error at once: DeleteRecords past its offset, or its topic
    /// deleted, answers the waiting fetch then, not when its 30 s wait ends.
    @Test func aWaitingFetchIsAnsweredAtOnceWhenItsPositionIsDeletedOrItsTopicIsGone() throws {
        let core = BrokerCore(state: try stateWithSixRecords(), logger: Logger(label: "test"), onStorageFailure: { _ in })
        defer { core.close() }
        let loop = MultiThreadedEventLoopGroup.singleton.any()
        func answer(_ request: KafkaRequest) -> BrokerCore.Answer {
            core.handle(request, clientId: "test", clientHost: "test", on: loop)
        }
        func waitingFetch(from offset: Int64) throws -> EventLoopFuture<BrokerCore.Reply>? {
            // Asking for more bytes than the partition holds makes the reader wait.
            guard case .later(let waiting) = answer(.fetch(try TestRequests.fetch("t", offset: offset, readCommitted: false, maxWaitMs: 30_000, minBytes: 1 << 20))) else {
                Issue.record("a fetch asking for more than the log holds was answered at once")
                return nil
            }
            return waiting
        }
        // The answer, if it came within 10 s (the fetch itself would wait 30 s).
        func partition(_ future: EventLoopFuture<BrokerCore.Reply>) throws -> FetchResponse.Partition? {
            let timeout = loop.makePromise(of: BrokerCore.Reply.self)
            let timer = loop.scheduleTask(in: .seconds(10)) { timeout.fail(ChannelError.ioOnClosedChannel) }
            future.cascade(to: timeout)
            defer { timer.cancel() }
            let reply = try? timeout.futureResult.wait()
            return (reply as? FetchResponse)?.topics.first?.partitions.first
        }

        let beforeDeletion = try #require(try waitingFetch(from: 0))
        guard case .now = answer(.deleteRecords(try TestRequests.deleteRecords("t", [(0, 3)]))) else {
            Issue.record("DeleteRecords was not answered")
            return
        }
        let deleted = try #require(try partition(beforeDeletion), "the waiting fetch was not answered when its offset was deleted")
        #expect(deleted.errorCode == .offsetOutOfRange)
        #expect(deleted.batches.isEmpty)

        // From the log start it waits again, until the topic goes.
        let beforeTopicDeletion = try #require(try waitingFetch(from: 3))
        guard case .deleteTopics(let deleteTopic) = try TestRequests.decode(.deleteTopics, 3, { w in
            w.arrayCount(1); w.string("t"); w.int32(1000)
        }) else { fatalError() }
        guard case .now = answer(.deleteTopics(deleteTopic)) else {
            Issue.record("DeleteTopics was not answered")
            return
        }
        let gone = try #require(try partition(beforeTopicDeletion), "the waiting fetch was not answered when its topic was deleted")
        #expect(gone.errorCode == .unknownTopicOrPartition)
    }

    @Test func theLogStartSurvivesARestart() throws {
        let dir = try TestKafka.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            var state = try stateWithSixRecords(partitions: 2, dataDirectory: dir)
            _ = try delete(&state, [(0, 2)])
            state.store?.close()
        }
        var restarted = try makeState(dataDirectory: dir)
        #expect(restarted.topics["t"]!.map(\.logStartOffset) == [2, 0])
        #expect(try earliestAndLatest(restarted) == (2, 6))
        #expect(try fetch(restarted, offset: 1).errorCode == .offsetOutOfRange)
        #expect(TestBatch.values(try fetch(restarted, offset: 2).batches) == ["a", "b", "c", "d", "e", "f"])
        #expect(try restarted.produceOne("t", TestBatch.make(["g"])).logStartOffset == 2)
        // And across the next start too (the state is saved again at every start).
        restarted.store?.close()
        #expect(try makeState(dataDirectory: dir).topics["t"]!.map(\.logStartOffset) == [2, 0])
    }

    @Test func aDataDirectoryWrittenBeforeLogStartsWereSavedLoadsWithLogStartZero() throws {
        let dir = try TestKafka.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            let state = try stateWithSixRecords(dataDirectory: dir)
            state.store?.close()
        }
        // A state with no log start moved is written as before they were saved.
        try editState(in: dir) { state in #expect(state["logStartOffsets"] == nil) }
        do {
            var state = try makeState(dataDirectory: dir)
            _ = try delete(&state, [(0, 4)])
            state.store?.close()
        }
        try editState(in: dir) { state in
            #expect(state["logStartOffsets"] != nil)
            state["logStartOffsets"] = nil  // what an older broker wrote
        }
        let old = try makeState(dataDirectory: dir)
        #expect(old.topics["t"]!.map(\.logStartOffset) == [0])
        #expect(try old.visibleValues("t", readCommitted: false) == ["a", "b", "c", "d", "e", "f"])
    }

    /// A saved log start that cannot be right is refused by name, with the file and what to do,
    /// not applied to the wrong partition or clamped.
    @Test(arguments: [
        (["t": [7]], "gives t-0 the log start offset 7, but it must be 0...6 (up to the high watermark of its log file)"),
        (["t": [-3]], "gives t-0 the log start offset -3, but it must be 0...6"),
        (["t": [1, 1]], "gives 2 log start offset(s) for topic t, which has 1 partition(s)"),
        (["gone": [1]], "gives log start offsets for topic gone, which it does not have"),
    ])
    func aSavedLogStartThatCannotBeRightIsRefused(saved: [String: [Int64]], problem: String) throws {
        let dir = try TestKafka.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            let state = try stateWithSixRecords(dataDirectory: dir)
            state.store?.close()
        }
        try editState(in: dir) { state in state["logStartOffsets"] = saved }
        let error = #expect(throws: DevBrokerError.self) { _ = try makeState(dataDirectory: dir) }
        #expect(error?.code == .dataDirectory)
        #expect(error?.description.hasPrefix("\(dir)/state.log \(problem)") == true, "\(String(describing: error))")
        #expect(error?.description.hasSuffix("remove \"logStartOffsets\" from \(dir)/state.log to read every partition from offset 0 again, or move the directory away to start empty") == true, "\(String(describing: error))")
    }

    // MARK: - Wire

    /// Both encodings through the server: v1 (classic, what librdkafka sends before 2.13; v0
    /// is the same) and v2 (flexible, what kafka-python 3 sends).
    @Test(arguments: [Int16(1), 2])
    func deleteRecordsOnTheWire(version: Int16) async throws {
        try await WireClient.withBroker { broker, group in
            let client = try await WireClient.connect(port: broker.port, group: group)
            var produce = KafkaWriter(buffer: ByteBuffer())
            produce.string(nil); produce.int16(1); produce.int32(5_000)
            produce.arrayCount(1); produce.string("wire")
            produce.arrayCount(1); produce.int32(0); produce.bytes(TestBatch.make(["a", "b", "c"]))
            try await client.send(0, version: 7, correlationId: 1, body: produce.buffer)
            _ = try #require(await client.next())

            let flexible = ApiKey.deleteRecords.isFlexible(version)
            let body = TestRequests.body(flexible) { w in
                w.arrayCount(2)
                w.string("wire")
                w.array([(Int32(0), Int64(2)), (1, 0)]) { w, p in w.int32(p.0); w.int64(p.1); w.taggedFields() }
                w.taggedFields()
                w.string("absent")
                w.arrayCount(0)
                w.taggedFields()
                w.int32(5_000)
                w.taggedFields()
            }
            try await client.send(21, version: version, correlationId: 2, flexibleHeader: flexible, body: body)
            var r = KafkaReader(try #require(await client.next()), flexible: flexible)
            #expect(try r.int32() == 2)
            try r.taggedFields()
            #expect(try r.int32("throttle_time_ms") == 0)
            let topics = try r.array("topics") { r in
                let name = try r.string()
                let partitions = try r.array("partitions") { r in
                    let p = DeleteRecordsResponse.Partition(index: try r.int32(), lowWatermark: try r.int64(), errorCode: KafkaErrorCode(try r.int16()))
                    try r.taggedFields()
                    return p
                }
                try r.taggedFields()
                return (name, partitions)
            }
            try r.taggedFields()
            #expect(r.buffer.readableBytes == 0)
            #expect(topics.map(\.0) == ["wire", "absent"])
            #expect(topics.first?.1 == [
                .init(index: 0, lowWatermark: 2, errorCode: .none),
                .init(index: 1, lowWatermark: -1, errorCode: .unknownTopicOrPartition),
            ])
            #expect(topics.last?.1.isEmpty == true)
            await client.close()
        }
    }
}

/// DeleteRecords through `KafkaAdmin` (librdkafka), as a test or tool uses it, against the
/// broker in-process or against `KAFKA_BOOTSTRAP`.
@Suite("DeleteRecords through KafkaClient", .serialized, .timeLimit(.minutes(2)))
struct DeleteRecordsClientTests {
    typealias Helpers = KafkaClientIntegrationTests

    private static func produce(_ bootstrap: String, _ topic: String, _ values: [String], partition: Int32 = 0) async throws {
        try await BlockingCalls.run {
            let producer = try KafkaProducer(configuration: ProducerConfiguration(kafka: Helpers.kafka(bootstrap)))
            try Helpers.send(producer, topic, values, partition: partition)
            try producer.flush()
            try producer.close()
        }
    }

    /// A new one-partition topic (named after `prefix`) holding `values` at offsets 0, 1, ...
    private static func topic(_ prefix: String, holding values: [String], on kafka: TestKafka) async throws -> String {
        let topic = kafka.uniqueName(prefix)
        try await Helpers.createTopic(kafka.bootstrapServers, topic, partitions: 1)
        try await produce(kafka.bootstrapServers, topic, values)
        return topic
    }

    private static func admin(_ bootstrap: String) throws -> KafkaAdmin {
        try KafkaAdmin(configuration: Helpers.kafka(bootstrap))
    }

    /// A group whose committed offset is no longer in the log (retention, here DeleteRecords)
    /// resumes, with `auto.offset.reset=earliest`, at the log start: the first record it reads
    /// is the first one kept.
    @Test func aConsumerWhoseCommittedOffsetWasDeletedResumesAtTheLogStart() async throws {
        try await TestKafka.with { kafka in
            let topic = try await Self.topic("retained", holding: (0..<10).map { "v\($0)" }, on: kafka)
            let group = kafka.uniqueName("g")
            let partition = TopicPartition(topic, 0)
            let consumer = try Helpers.consumer(kafka.bootstrapServers, group: group, isolation: .readUncommitted)
            let (lowWatermarks, range) = try await BlockingCalls.run {
                try consumer.commit([PartitionOffset(partition, offset: 2)])
                let lowWatermarks = try Self.admin(kafka.bootstrapServers).deleteRecords([PartitionOffset(partition, offset: 5)])
                return (lowWatermarks, try consumer.watermarkOffsets(partition))
            }
            #expect(lowWatermarks == [partition: 5])
            #expect(range == (low: 5, high: 10))
            try consumer.subscribe(topics: [topic])
            let records = try await BlockingCalls.run {
                var records: [ConsumedRecord] = []
                let deadline = ContinuousClock.now + .seconds(20)
                while records.count < 5 && ContinuousClock.now < deadline {
                    records += try consumer.poll(maxRecords: 100, timeout: .milliseconds(200))
                }
                records += try consumer.poll(maxRecords: 100, timeout: .milliseconds(500))  // a stray extra would show here
                return records
            }
            #expect(records.first?.offset == 5)
            #expect(records.map(\.offset) == Array(5..<10))
            #expect(records.map { String(decoding: $0.value, as: UTF8.self) } == (5..<10).map { "v\($0)" })
            try consumer.close()
        }
    }

    /// Under `auto.offset.reset=error` a position the log no longer holds is reported with the
    /// partition and the offset, nothing is read, and librdkafka refuses to seek the partition
    /// (its fetcher stopped); ``KafkaConsumer/restart(_:)`` starts it again where the caller
    /// says. Under an eager strategy the restart is refused, naming the protocol.
    @Test(arguments: [ConsumerConfiguration.AssignmentStrategy.cooperativeSticky, .range])
    func aPositionOutOfRangeIsReportedAndTheRestartedPartitionReadsFromWhereItWasRestarted(strategy: ConsumerConfiguration.AssignmentStrategy) async throws {
        try await TestKafka.with { kafka in
            let topic = try await Self.topic("reported", holding: (0..<10).map { "v\($0)" }, on: kafka)
            let group = kafka.uniqueName("g")
            let partition = TopicPartition(topic, 0)
            let consumer = try KafkaConsumer(configuration: ConsumerConfiguration(
                kafka: Helpers.kafka(kafka.bootstrapServers), groupID: group, offsetReset: .error, assignmentStrategy: strategy))
            try await BlockingCalls.run {
                try consumer.commit([PartitionOffset(partition, offset: 2)])
                _ = try Self.admin(kafka.bootstrapServers).deleteRecords([PartitionOffset(partition, offset: 5)])
            }
            try consumer.subscribe(topics: [topic])
            let (early, reported) = try await BlockingCalls.run {
                var records: [ConsumedRecord] = []
                var reported: [KafkaClient.TopicPartition: Int64] = [:]
                let deadline = ContinuousClock.now + .seconds(20)
                while reported.isEmpty && ContinuousClock.now < deadline {
                    records += try consumer.poll(maxRecords: 100, timeout: .milliseconds(200))
                    reported = consumer.takePositionsOutOfRange()
                }
                return (records, reported)
            }
            #expect(early.isEmpty, "nothing is read from a position the log does not hold")
            #expect(reported == [partition: 2])
            let seek = Result { () throws(KafkaError) in try consumer.seek([PartitionOffset(partition, offset: 5)]) }
            #expect(throws: KafkaError.self, "librdkafka refuses to seek a partition whose fetcher stopped") { try seek.get() }
            let refusals = try consumer.seekEach([PartitionOffset(partition, offset: 5)])
            #expect(refusals[partition]?.isFetcherNotReady == true, "answered per partition: \(refusals)")
            if strategy == .range {
                let error = #expect(throws: KafkaError.self) { try consumer.restart([PartitionOffset(partition, offset: 5)]) }
                #expect(error?.message.contains("the group's rebalance protocol is EAGER") == true, "\(error.map { "\($0)" } ?? "")")
            } else {
                try consumer.restart([PartitionOffset(partition, offset: 5)])
                let values = try await Helpers.values(consumer, count: 5)
                #expect(values == (5..<10).map { "v\($0)" })
            }
            try consumer.close()
        }
    }

    @Test func upToTheHighWatermarkEmptiesThePartition() async throws {
        try await TestKafka.with { kafka in
            let topic = try await Self.topic("emptied", holding: ["a", "b", "c", "d"], on: kafka)
            let partition = TopicPartition(topic, 0)
            let consumer = try Helpers.consumer(kafka.bootstrapServers, group: kafka.uniqueName("g"))
            let (lowWatermarks, range) = try await BlockingCalls.run {
                let lowWatermarks = try Self.admin(kafka.bootstrapServers).deleteRecords([PartitionOffset(partition, offset: KafkaAdmin.upToHighWatermark)])
                return (lowWatermarks, try consumer.watermarkOffsets(partition))
            }
            #expect(lowWatermarks == [partition: 4])
            #expect(range == (low: 4, high: 4))
            try consumer.close()
        }
    }

    /// A refused partition is named, with its offset and what is allowed; the request's other
    /// partitions are deleted all the same (Kafka answers per partition).
    @Test func anOffsetBeyondTheHighWatermarkIsRefusedNamingThePartition() async throws {
        try await TestKafka.with { kafka in
            let topic = kafka.uniqueName("refused")
            try await Helpers.createTopic(kafka.bootstrapServers, topic, partitions: 2)
            try await Self.produce(kafka.bootstrapServers, topic, ["a", "b", "c"], partition: 0)
            try await Self.produce(kafka.bootstrapServers, topic, ["x"], partition: 1)
            let first = TopicPartition(topic, 0), second = TopicPartition(topic, 1)
            let consumer = try Helpers.consumer(kafka.bootstrapServers, group: kafka.uniqueName("g"))
            // `#expect` is for the test's own task; this runs on a thread of its own.
            let (outcome, low) = try await BlockingCalls.run {
                let admin = try Self.admin(kafka.bootstrapServers)
                let outcome = Result { () throws(KafkaError) in
                    try admin.deleteRecords([PartitionOffset(first, offset: 2), PartitionOffset(second, offset: 5)])
                }
                return (outcome, try consumer.watermarkOffsets(first).low)
            }
            guard case .failure(let error) = outcome else {
                Issue.record("deleting beyond the high watermark was not refused: \(outcome)")
                return
            }
            #expect(error.rdKafkaName == "OFFSET_OUT_OF_RANGE")
            #expect(error.message.hasPrefix("delete the records of \(second) below offset 5 failed: "), "\(error)")
            #expect(error.message.hasSuffix("; the offset must be from 0 up to the partition's high watermark, or KafkaAdmin.upToHighWatermark (-1) for all its records"), "\(error)")
            #expect(low == 2)
            try consumer.close()
        }
    }

    @Test func aPartitionNamedTwiceIsRefusedBeforeAnyRequest() throws {
        // No broker is asked: the admin client is made for an address nobody listens on.
        let admin = try KafkaAdmin(configuration: KafkaConfiguration(bootstrapServers: ["127.0.0.1:1"], clientID: "devbroker-test"))
        let partition = TopicPartition("t", 0)
        let error = #expect(throws: KafkaError.self) {
            try admin.deleteRecords([PartitionOffset(partition, offset: 1), PartitionOffset(partition, offset: 2)], timeout: .seconds(1))
        }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message == "cannot delete records: `offsets` names t-0 more than once; give each partition one offset")
        #expect(try admin.deleteRecords([], timeout: .seconds(1)).isEmpty)
    }
}
