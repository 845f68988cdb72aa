import NIOCore
import Testing
@testable import DevBroker

@Suite("Produce and fetch")
struct ProduceFetchTests {
    @Test func batchesAreStoredAsReceivedWithOnlyTheBaseOffsetAssigned() throws {
        var state = try makeState()
        let first = TestBatch.make(["a", "b", "c"])
        let second = TestBatch.make(["d"])
        #expect(try state.produceOne("t", first).baseOffset == 0)
        #expect(try state.produceOne("t", second).baseOffset == 3)
        let p = state.fetch(try TestRequests.fetch("t", offset: 0, readCommitted: false)).topics[0].partitions[0]
        #expect(p.highWatermark == 4)
        #expect(p.batches.count == 2)
        // Byte for byte the produced batch, except the base offset.
        #expect(p.batches[1].getSlice(at: p.batches[1].readerIndex + 8, length: second.readableBytes - 8) == second.getSlice(at: 8, length: second.readableBytes - 8))
        #expect(p.batches[1].getInteger(at: p.batches[1].readerIndex, as: Int64.self) == 3)
        #expect(TestBatch.values(p.batches) == ["a", "b", "c", "d"])
    }

    @Test func fetchInTheMiddleOfABatchReturnsThatBatch() throws {
        var state = try makeState()
        _ = try state.produceOne("t", TestBatch.make(["a", "b", "c"]))
        _ = try state.produceOne("t", TestBatch.make(["d"]))
        let p = state.fetch(try TestRequests.fetch("t", offset: 2, readCommitted: false)).topics[0].partitions[0]
        #expect(TestBatch.values(p.batches) == ["a", "b", "c", "d"])
        let beyond = state.fetch(try TestRequests.fetch("t", offset: 9, readCommitted: false)).topics[0].partitions[0]
        #expect(beyond.errorCode == .offsetOutOfRange)
    }

    @Test func corruptBatchIsRefusedAndThePartitionIsUntouched() throws {
        var state = try makeState()
        _ = try state.produceOne("t", TestBatch.make(["good"]))
        var bad = TestBatch.make(["evil"])
        bad.setInteger(UInt8(ascii: "E"), at: bad.writerIndex - 5)
        #expect(try state.produceOne("t", bad).errorCode == .corruptMessage)
        #expect(try state.visibleValues("t", readCommitted: false) == ["good"])
    }

    @Test func retriedDuplicateIsAcknowledgedWithoutBeingAppendedAgain() throws {
        var state = try makeState()
        let pid = state.initProducerId(try TestRequests.initProducerId(nil), nowMs: 0)
        let batch = TestBatch.make(["x", "y"], producerId: pid.producerId, epoch: 0, baseSequence: 0)
        #expect(try state.produceOne("t", batch).baseOffset == 0)
        let retry = try state.produceOne("t", batch)
        #expect(retry.errorCode == .none)
        #expect(retry.baseOffset == 0)
        #expect(try state.visibleValues("t", readCommitted: false) == ["x", "y"])
        let next = try state.produceOne("t", TestBatch.make(["z"], producerId: pid.producerId, epoch: 0, baseSequence: 2))
        #expect(next.baseOffset == 2)
    }

    @Test func sequenceGapGetsOutOfOrderSequenceNumber() throws {
        var state = try makeState()
        let pid = state.initProducerId(try TestRequests.initProducerId(nil), nowMs: 0)
        _ = try state.produceOne("t", TestBatch.make(["x"], producerId: pid.producerId, epoch: 0, baseSequence: 0))
        let gap = try state.produceOne("t", TestBatch.make(["z"], producerId: pid.producerId, epoch: 0, baseSequence: 5))
        #expect(gap.errorCode == .outOfOrderSequenceNumber)
        #expect(try state.visibleValues("t", readCommitted: false) == ["x"])
    }

    @Test func topicsAreCreatedOnFirstUseWithTheDefaultPartitions() throws {
        var state = try makeState(defaultPartitions: 3)
        let meta = state.metadata(try {
            guard case .metadata(let r) = try TestRequests.decode(.metadata, 4, { w in
                w.arrayCount(1); w.string("fresh"); w.bool(true)
            }) else { fatalError() }
            return r
        }())
        #expect(meta.topics[0].errorCode == .none)
        #expect(meta.topics[0].partitions.count == 3)
        state.autoCreateTopics = false
        #expect(try state.produceOne("other", TestBatch.make(["a"])).errorCode == .unknownTopicOrPartition)
    }

    @Test func listOffsetsFindsTheFirstRecordAtOrAfterATimestamp() throws {
        var state = try makeState()
        _ = try state.produceOne("t", TestBatch.make(["a"], timestamp: 1_000))
        _ = try state.produceOne("t", TestBatch.make(["b", "c", "d"], timestamp: 2_000, timestampDeltas: [0, 100, 200]))
        func offset(_ timestamp: Int64) throws -> Int64 {
            state.listOffsets(try TestRequests.listOffsets("t", timestamp: timestamp, readCommitted: false)).topics[0].partitions[0].offset
        }
        #expect(try offset(1_500) == 1)
        #expect(try offset(2_050) == 2)
        #expect(try offset(2_200) == 3)
        #expect(try offset(9_999) == 4)
        #expect(try offset(-2) == 0)
    }
}
