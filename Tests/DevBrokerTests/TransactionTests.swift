import Foundation
import Logging
import NIOCore
import Testing
@testable import DevBroker
import ExactlyTesting

func makeState(dataDirectory: String? = nil, defaultPartitions: Int = 1) throws -> BrokerState {
    let store = try dataDirectory.map { try DataStore(path: $0) }
    return try BrokerState(
        configuration: DevBrokerConfiguration(port: 0, dataDirectory: dataDirectory, defaultPartitions: defaultPartitions),
        store: store, logger: Logger(label: "test"), nowMs: 0
    )
}

extension BrokerState {
    /// Fetches everything from offset 0 and returns the values a reader at that isolation sees.
    func visibleValues(_ topic: String, readCommitted: Bool) throws -> [String] {
        let p = fetch(try TestRequests.fetch(topic, offset: 0, readCommitted: readCommitted)).topics[0].partitions[0]
        return TestBatch.values(p.batches, aborted: readCommitted ? p.abortedTransactions : nil)
    }

    mutating func produceOne(_ topic: String, _ batch: ByteBuffer, transactionalId: String? = nil, nowMs: Int64 = 0) throws -> ProduceResponse.Partition {
        produce(try TestRequests.produce(topic, transactionalId: transactionalId, batch), nowMs: nowMs).topics[0].partitions[0]
    }

    /// One transaction: init (or reuse), add the partition, produce `values`, and end it.
    mutating func transaction(_ id: String, topic: String, values: [String], commit: Bool, pid existing: InitProducerIdResponse? = nil, sequence: Int32 = 0) throws -> InitProducerIdResponse {
        let pid = try existing ?? initProducerId(TestRequests.initProducerId(id), nowMs: 0)
        #expect(addPartitionsToTxn(try TestRequests.addPartitions(id, pid, topic: topic), nowMs: 0).topics[0].partitions[0].errorCode == .none)
        let batch = TestBatch.make(values, producerId: pid.producerId, epoch: pid.producerEpoch, baseSequence: sequence, transactional: true)
        #expect(try produceOne(topic, batch, transactionalId: id).errorCode == .none)
        #expect(endTxn(try TestRequests.endTxn(id, pid, commit: commit), nowMs: 0) == .none)
        return pid
    }
}

@Suite("Transactions")
struct TransactionTests {
    @Test func committedTransactionIsVisibleToReadCommittedAndAbortedOnlyToReadUncommitted() throws {
        var state = try makeState()
        state.createTopic("t", partitions: 1)
        let pid = try state.transaction("tx", topic: "t", values: ["c1", "c2"], commit: true)
        _ = try state.transaction("tx", topic: "t", values: ["a1"], commit: false, pid: pid, sequence: 2)
        _ = try state.transaction("tx", topic: "t", values: ["c3"], commit: true, pid: pid, sequence: 3)
        #expect(try state.visibleValues("t", readCommitted: true) == ["c1", "c2", "c3"])
        #expect(try state.visibleValues("t", readCommitted: false) == ["c1", "c2", "a1", "c3"])
        let p = state.fetch(try TestRequests.fetch("t", offset: 0, readCommitted: true)).topics[0].partitions[0]
        #expect(p.abortedTransactions == [AbortedTransaction(producerId: pid.producerId, firstOffset: 3, markerOffset: 4)])
    }

    @Test func openTransactionHoldsBackReadCommittedAtTheLastStableOffset() throws {
        var state = try makeState()
        state.createTopic("t", partitions: 1)
        #expect(try state.produceOne("t", TestBatch.make(["plain"])).baseOffset == 0)
        let pid = try state.initProducerId(TestRequests.initProducerId("tx"), nowMs: 0)
        _ = state.addPartitionsToTxn(try TestRequests.addPartitions("tx", pid, topic: "t"), nowMs: 0)
        _ = try state.produceOne("t", TestBatch.make(["open"], producerId: pid.producerId, epoch: pid.producerEpoch, baseSequence: 0, transactional: true), transactionalId: "tx")
        _ = try state.produceOne("t", TestBatch.make(["after"]))
        let p = state.fetch(try TestRequests.fetch("t", offset: 0, readCommitted: true)).topics[0].partitions[0]
        #expect(p.lastStableOffset == 1)
        #expect(p.highWatermark == 3)
        #expect(TestBatch.values(p.batches, aborted: p.abortedTransactions) == ["plain"])
        #expect(state.listOffsets(try TestRequests.listOffsets("t", timestamp: -1, readCommitted: true)).topics[0].partitions[0].offset == 1)
        #expect(state.listOffsets(try TestRequests.listOffsets("t", timestamp: -1, readCommitted: false)).topics[0].partitions[0].offset == 3)
        #expect(state.endTxn(try TestRequests.endTxn("tx", pid, commit: true), nowMs: 0) == .none)
        #expect(try state.visibleValues("t", readCommitted: true) == ["plain", "open", "after"])
    }

    @Test func newProducerFencesTheZombieAndAbortsItsOpenTransaction() throws {
        var state = try makeState()
        state.createTopic("t", partitions: 1)
        let old = try state.initProducerId(TestRequests.initProducerId("tx"), nowMs: 0)
        _ = state.addPartitionsToTxn(try TestRequests.addPartitions("tx", old, topic: "t"), nowMs: 0)
        _ = try state.produceOne("t", TestBatch.make(["zombie"], producerId: old.producerId, epoch: old.producerEpoch, baseSequence: 0, transactional: true), transactionalId: "tx")
        let new = try state.initProducerId(TestRequests.initProducerId("tx"), nowMs: 0)
        #expect(new.producerId == old.producerId)
        #expect(new.producerEpoch == old.producerEpoch + 1)
        #expect(try state.visibleValues("t", readCommitted: true).isEmpty)
        // The zombie can neither write nor finish its transaction.
        let write = try state.produceOne("t", TestBatch.make(["again"], producerId: old.producerId, epoch: old.producerEpoch, baseSequence: 1, transactional: true), transactionalId: "tx")
        #expect(write.errorCode == .invalidProducerEpoch)
        #expect(state.endTxn(try TestRequests.endTxn("tx", old, commit: true), nowMs: 0) == .invalidProducerEpoch)
        #expect(state.addPartitionsToTxn(try TestRequests.addPartitions("tx", old, topic: "t"), nowMs: 0).topics[0].partitions[0].errorCode == .invalidProducerEpoch)
    }

    /// KIP-360: a transactional producer that must reset its sequence numbers (it gave up on
    /// records whose fate it cannot know, as when its transaction is aborted while a broker was
    /// away) asks to bump its own epoch. Without it librdkafka fails the producer fatally
    /// ("InitProducerId (KIP-360) not supported by broker"), and the broker restart test saw
    /// a processor stop that way after an abort. The bump aborts the open transaction, keeps
    /// the producer id, starts the new epoch at sequence 0, and fences the old epoch's writes.
    @Test func theCurrentProducerMayBumpItsEpoch() throws {
        var state = try makeState()
        state.createTopic("t", partitions: 1)
        let first = try state.initProducerId(TestRequests.initProducerIdBumping("tx", nil), nowMs: 0)
        #expect(first.errorCode == .none)
        _ = state.addPartitionsToTxn(try TestRequests.addPartitions("tx", first, topic: "t"), nowMs: 0)
        _ = try state.produceOne("t", TestBatch.make(["a", "b"], producerId: first.producerId, epoch: first.producerEpoch, baseSequence: 0, transactional: true), transactionalId: "tx")

        let bumped = try state.initProducerId(TestRequests.initProducerIdBumping("tx", first), nowMs: 0)
        #expect(bumped == InitProducerIdResponse(errorCode: .none, producerId: first.producerId, producerEpoch: first.producerEpoch + 1))
        #expect(try state.visibleValues("t", readCommitted: true).isEmpty, "the open transaction is aborted")
        let old = try state.produceOne("t", TestBatch.make(["late"], producerId: first.producerId, epoch: first.producerEpoch, baseSequence: 2, transactional: true), transactionalId: "tx")
        #expect(old.errorCode == .invalidProducerEpoch)

        // The new epoch starts over at sequence 0, and its transactions commit as any other.
        _ = try state.transaction("tx", topic: "t", values: ["c"], commit: true, pid: bumped, sequence: 0)
        #expect(try state.visibleValues("t", readCommitted: true) == ["c"])
        // A bump for a transactional id the broker does not know (restarted without its data)
        // gets a new producer id, as from Kafka.
        let unknown = try state.initProducerId(TestRequests.initProducerIdBumping("other", first), nowMs: 0)
        #expect(unknown.errorCode == .none && unknown.producerId != first.producerId && unknown.producerEpoch == 0)
    }

    /// The answer to a bump can be lost (a broker restart between saving the new epoch and
    /// answering): the producer asks again with the epoch it had, and must get the bumped one
    /// again, not be fenced. A new producer instance taking the id over ends that grace.
    @Test func aRetriedEpochBumpGetsTheSameAnswerUntilAnotherProducerTakesOver() throws {
        let dir = try TestKafka.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var before = try makeState(dataDirectory: dir)
        let first = try before.initProducerId(TestRequests.initProducerIdBumping("tx", nil), nowMs: 0)
        let bumped = try before.initProducerId(TestRequests.initProducerIdBumping("tx", first), nowMs: 0)
        var state = try makeState(dataDirectory: dir)  // restarted before the answer went out
        #expect(try state.initProducerId(TestRequests.initProducerIdBumping("tx", first), nowMs: 0) == bumped)
        let successor = try state.initProducerId(TestRequests.initProducerIdBumping("tx", nil), nowMs: 0)
        #expect(successor.producerEpoch == bumped.producerEpoch + 1)
        #expect(try state.initProducerId(TestRequests.initProducerIdBumping("tx", first), nowMs: 0).errorCode == .producerFenced)
        #expect(try state.initProducerId(TestRequests.initProducerIdBumping("tx", bumped), nowMs: 0).errorCode == .producerFenced)
    }

    @Test func transactionalOffsetsAppearOnlyAfterCommit() throws {
        var state = try makeState()
        state.createTopic("t", partitions: 1)
        let pid = try state.initProducerId(TestRequests.initProducerId("tx"), nowMs: 0)
        #expect(state.addOffsetsToTxn(try TestRequests.addOffsets("tx", pid, group: "g"), nowMs: 0) == .none)
        let commit = state.txnOffsetCommit(try TestRequests.txnOffsetCommit("tx", pid, group: "g", topic: "t", offset: 42, metadata: "ckpt-7"))
        #expect(commit.topics[0].partitions[0].errorCode == .none)
        let pending = state.offsetFetch(try TestRequests.offsetFetch(group: "g", topic: "t", requireStable: true)).topics[0].partitions[0]
        #expect(pending.errorCode == .unstableOffsetCommit)
        #expect(state.offsetFetch(try TestRequests.offsetFetch(group: "g", topic: "t", requireStable: false)).topics[0].partitions[0].offset == -1)
        #expect(state.endTxn(try TestRequests.endTxn("tx", pid, commit: true), nowMs: 0) == .none)
        let committed = state.offsetFetch(try TestRequests.offsetFetch(group: "g", topic: "t", requireStable: true)).topics[0].partitions[0]
        #expect(committed.offset == 42)
        #expect(committed.metadata == "ckpt-7")
        #expect(committed.errorCode == .none)
    }

    @Test func transactionalOffsetsAreDroppedOnAbort() throws {
        var state = try makeState()
        state.createTopic("t", partitions: 1)
        let pid = try state.initProducerId(TestRequests.initProducerId("tx"), nowMs: 0)
        _ = state.addOffsetsToTxn(try TestRequests.addOffsets("tx", pid, group: "g"), nowMs: 0)
        _ = state.txnOffsetCommit(try TestRequests.txnOffsetCommit("tx", pid, group: "g", topic: "t", offset: 42, metadata: nil))
        #expect(state.endTxn(try TestRequests.endTxn("tx", pid, commit: false), nowMs: 0) == .none)
        let p = state.offsetFetch(try TestRequests.offsetFetch(group: "g", topic: "t", requireStable: true)).topics[0].partitions[0]
        #expect(p.offset == -1)
        #expect(p.errorCode == .none)
    }

    @Test func transactionalOffsetCommitFromAStaleGenerationIsRejected() throws {
        var state = try makeState()
        state.createTopic("t", partitions: 1)
        var answers: [ConsumerGroup.Action] = []
        answers += state.joinGroup(1, try TestRequests.join(group: "g"), clientId: "c", clientHost: "h", nowMs: 0)
        guard case .answerJoin(_, let joined) = answers.first else { Issue.record("no join answer"); return }
        let pid = try state.initProducerId(TestRequests.initProducerId("tx"), nowMs: 0)
        _ = state.addOffsetsToTxn(try TestRequests.addOffsets("tx", pid, group: "g"), nowMs: 0)
        let stale = state.txnOffsetCommit(try TestRequests.txnOffsetCommit("tx", pid, group: "g", generation: joined.generationId - 1, memberId: joined.memberId, topic: "t", offset: 5, metadata: nil))
        #expect(stale.topics[0].partitions[0].errorCode == .illegalGeneration)
        let current = state.txnOffsetCommit(try TestRequests.txnOffsetCommit("tx", pid, group: "g", generation: joined.generationId, memberId: joined.memberId, topic: "t", offset: 5, metadata: nil))
        #expect(current.topics[0].partitions[0].errorCode == .none)
    }

    @Test func transactionPastItsTimeoutIsAbortedAndItsProducerFenced() throws {
        var state = try makeState()
        state.createTopic("t", partitions: 1)
        let pid = try state.initProducerId(TestRequests.initProducerId("tx", timeoutMs: 1_000), nowMs: 0)
        _ = state.addPartitionsToTxn(try TestRequests.addPartitions("tx", pid, topic: "t"), nowMs: 10_000)
        _ = try state.produceOne("t", TestBatch.make(["late"], producerId: pid.producerId, epoch: pid.producerEpoch, baseSequence: 0, transactional: true), transactionalId: "tx")
        _ = state.tick(nowMs: 10_500, wallMs: 10_500)
        #expect(state.transactions["tx"]?.phase == .ongoing)
        _ = state.tick(nowMs: 11_001, wallMs: 11_001)
        #expect(state.transactions["tx"]?.phase == .empty)
        #expect(try state.visibleValues("t", readCommitted: true).isEmpty)
        #expect(state.fetch(try TestRequests.fetch("t", offset: 0, readCommitted: true)).topics[0].partitions[0].lastStableOffset == 2)
        #expect(state.endTxn(try TestRequests.endTxn("tx", pid, commit: true), nowMs: 0) == .invalidProducerEpoch)
    }

    @Test func transactionTimeoutAboveTheBrokerMaximumIsRefused() throws {
        var state = try makeState()
        let response = state.initProducerId(try TestRequests.initProducerId("tx", timeoutMs: 1_000_000), nowMs: 0)
        #expect(response.errorCode == .invalidTransactionTimeout)
    }
}
