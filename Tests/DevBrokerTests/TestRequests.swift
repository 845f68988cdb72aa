import NIOCore
@testable import DevBroker

/// Encodes requests the way a client would, so tests reach the broker through its own decoder.
enum TestRequests {
    static func body(_ flexible: Bool = false, _ write: (inout KafkaWriter) -> Void) -> ByteBuffer {
        var w = KafkaWriter(buffer: ByteBuffer(), flexible: flexible)
        write(&w)
        return w.buffer
    }

    static func decode(_ key: ApiKey, _ version: Int16, _ write: (inout KafkaWriter) -> Void) throws -> KafkaRequest {
        try KafkaRequest.decode(key, version: version, body: body(key.isFlexible(version), write))
    }

    static func produce(_ topic: String, partition: Int32 = 0, transactionalId: String? = nil, _ records: ByteBuffer) throws -> ProduceRequest {
        guard case .produce(let r) = try decode(.produce, 7, { w in
            w.string(transactionalId); w.int16(-1); w.int32(30_000)
            w.arrayCount(1); w.string(topic)
            w.arrayCount(1); w.int32(partition); w.bytes(records)
        }) else { fatalError() }
        return r
    }

    static func fetch(_ topic: String, partition: Int32 = 0, offset: Int64, readCommitted: Bool, maxWaitMs: Int32 = 0, minBytes: Int32 = 1) throws -> FetchRequest {
        guard case .fetch(let r) = try decode(.fetch, 4, { w in
            w.int32(-1); w.int32(maxWaitMs); w.int32(minBytes); w.int32(50_000_000); w.int8(readCommitted ? 1 : 0)
            w.arrayCount(1); w.string(topic)
            w.arrayCount(1); w.int32(partition); w.int64(offset); w.int32(10_000_000)
        }) else { fatalError() }
        return r
    }

    static func listOffsets(_ topic: String, partition: Int32 = 0, timestamp: Int64, readCommitted: Bool) throws -> ListOffsetsRequest {
        guard case .listOffsets(let r) = try decode(.listOffsets, 2, { w in
            w.int32(-1); w.int8(readCommitted ? 1 : 0)
            w.arrayCount(1); w.string(topic)
            w.arrayCount(1); w.int32(partition); w.int64(timestamp)
        }) else { fatalError() }
        return r
    }

    /// DeleteRecords for partitions of one topic; v2 is the flexible encoding.
    static func deleteRecords(_ topic: String, _ offsets: [(partition: Int32, offset: Int64)], version: Int16 = 1) throws -> DeleteRecordsRequest {
        guard case .deleteRecords(let r) = try decode(.deleteRecords, version, { w in
            w.arrayCount(1); w.string(topic)
            w.array(offsets) { w, o in w.int32(o.partition); w.int64(o.offset); w.taggedFields() }
            w.taggedFields()
            w.int32(30_000); w.taggedFields()
        }) else { fatalError() }
        return r
    }

    static func initProducerId(_ transactionalId: String?, timeoutMs: Int32 = 60_000) throws -> InitProducerIdRequest {
        guard case .initProducerId(let r) = try decode(.initProducerId, 1, { w in
            w.string(transactionalId); w.int32(timeoutMs)
        }) else { fatalError() }
        return r
    }

    /// InitProducerId v4 (flexible), as librdkafka sends it: with the caller's producer id and
    /// epoch when it asks for an epoch bump (KIP-360), -1 otherwise.
    static func initProducerIdBumping(_ transactionalId: String?, _ current: InitProducerIdResponse?, timeoutMs: Int32 = 60_000) throws -> InitProducerIdRequest {
        guard case .initProducerId(let r) = try decode(.initProducerId, 4, { w in
            w.string(transactionalId); w.int32(timeoutMs)
            w.int64(current?.producerId ?? -1); w.int16(current?.producerEpoch ?? -1); w.taggedFields()
        }) else { fatalError() }
        return r
    }

    static func addPartitions(_ id: String, _ pid: InitProducerIdResponse, topic: String, partitions: [Int32] = [0]) throws -> AddPartitionsToTxnRequest {
        guard case .addPartitionsToTxn(let r) = try decode(.addPartitionsToTxn, 1, { w in
            w.string(id); w.int64(pid.producerId); w.int16(pid.producerEpoch)
            w.arrayCount(1); w.string(topic); w.array(partitions) { $0.int32($1) }
        }) else { fatalError() }
        return r
    }

    static func addOffsets(_ id: String, _ pid: InitProducerIdResponse, group: String) throws -> AddOffsetsToTxnRequest {
        guard case .addOffsetsToTxn(let r) = try decode(.addOffsetsToTxn, 1, { w in
            w.string(id); w.int64(pid.producerId); w.int16(pid.producerEpoch); w.string(group)
        }) else { fatalError() }
        return r
    }

    static func txnOffsetCommit(_ id: String, _ pid: InitProducerIdResponse, group: String, generation: Int32 = -1, memberId: String = "", topic: String, offset: Int64, metadata: String?) throws -> OffsetCommitRequest {
        guard case .txnOffsetCommit(let r) = try decode(.txnOffsetCommit, 3, { w in
            w.string(id); w.string(group); w.int64(pid.producerId); w.int16(pid.producerEpoch)
            w.int32(generation); w.string(memberId); w.string(nil)
            w.arrayCount(1); w.string(topic)
            w.arrayCount(1); w.int32(0); w.int64(offset); w.int32(-1); w.string(metadata); w.taggedFields()
            w.taggedFields()
            w.taggedFields()
        }) else { fatalError() }
        return r
    }

    static func endTxn(_ id: String, _ pid: InitProducerIdResponse, commit: Bool) throws -> EndTxnRequest {
        guard case .endTxn(let r) = try decode(.endTxn, 1, { w in
            w.string(id); w.int64(pid.producerId); w.int16(pid.producerEpoch); w.bool(commit)
        }) else { fatalError() }
        return r
    }

    static func offsetCommit(group: String, generation: Int32 = -1, memberId: String = "", topic: String, offset: Int64, metadata: String?) throws -> OffsetCommitRequest {
        guard case .offsetCommit(let r) = try decode(.offsetCommit, 7, { w in
            w.string(group); w.int32(generation); w.string(memberId); w.string(nil)
            w.arrayCount(1); w.string(topic)
            w.arrayCount(1); w.int32(0); w.int64(offset); w.int32(-1); w.string(metadata)
        }) else { fatalError() }
        return r
    }

    static func offsetFetch(group: String, topic: String, requireStable: Bool) throws -> OffsetFetchRequest {
        guard case .offsetFetch(let r) = try decode(.offsetFetch, 7, { w in
            w.string(group)
            w.arrayCount(1); w.string(topic); w.array([Int32(0)]) { $0.int32($1) }; w.taggedFields()
            w.bool(requireStable); w.taggedFields()
        }) else { fatalError() }
        return r
    }

    static func join(group: String, memberId: String = "", groupInstanceId: String? = nil, sessionTimeoutMs: Int32 = 10_000, rebalanceTimeoutMs: Int32 = 10_000, protocols: [String] = ["range"]) throws -> JoinGroupRequest {
        guard case .joinGroup(let r) = try decode(.joinGroup, 5, { w in
            w.string(group); w.int32(sessionTimeoutMs); w.int32(rebalanceTimeoutMs); w.string(memberId); w.string(groupInstanceId)
            w.string("consumer")
            w.array(protocols) { w, p in w.string(p); w.bytes(ByteBuffer(string: "meta-\(p)")) }
        }) else { fatalError() }
        return r
    }
}

/// Builds record batches v2 with a correct CRC-32C, as a producer would.
enum TestBatch {
    static func make(
        _ values: [String], producerId: Int64 = -1, epoch: Int16 = -1, baseSequence: Int32 = -1,
        transactional: Bool = false, timestamp: Int64 = 1_700_000_000_000, timestampDeltas: [Int64]? = nil
    ) -> ByteBuffer {
        var records = ByteBuffer()
        for (i, v) in values.enumerated() {
            var r = ByteBuffer()
            r.writeInteger(UInt8(0))
            varint(&r, timestampDeltas?[i] ?? 0)
            varint(&r, Int64(i))
            varint(&r, -1)
            varint(&r, Int64(v.utf8.count))
            r.writeString(v)
            varint(&r, 0)
            varint(&records, Int64(r.readableBytes))
            records.writeImmutableBuffer(r)
        }
        var b = ByteBuffer()
        b.writeInteger(Int64(0))
        b.writeInteger(Int32(0))
        b.writeInteger(Int32(-1))
        b.writeInteger(Int8(2))
        b.writeInteger(UInt32(0))
        b.writeInteger(Int16(transactional ? 0x10 : 0))
        b.writeInteger(Int32(values.count - 1))
        b.writeInteger(timestamp)
        b.writeInteger(timestamp + (timestampDeltas?.max() ?? 0))
        b.writeInteger(producerId)
        b.writeInteger(epoch)
        b.writeInteger(baseSequence)
        b.writeInteger(Int32(values.count))
        b.writeImmutableBuffer(records)
        b.setInteger(Int32(b.readableBytes - 12), at: 8)
        b.setInteger(CRC32C.checksum(b.getSlice(at: 21, length: b.readableBytes - 21)!), at: 17)
        return b
    }

    /// The values of the data records in fetched batches, skipping control batches and, when
    /// `aborted` is given, the records of aborted transactions (what a read_committed client does).
    static func values(_ batches: [ByteBuffer], aborted: [AbortedTransaction]? = nil) -> [String] {
        var result: [String] = []
        var abortedProducers: Set<Int64> = []
        var pending = (aborted ?? []).sorted { $0.firstOffset < $1.firstOffset }[...]
        for var b in batches {
            let base: Int64 = b.getInteger(at: b.readerIndex)!
            let header = try! RecordBatchHeader(b)
            while let a = pending.first, a.firstOffset <= base {
                abortedProducers.insert(a.producerId)
                pending = pending.dropFirst()
            }
            if header.isControl {
                abortedProducers.remove(header.producerId)
                continue
            }
            if header.isTransactional && abortedProducers.contains(header.producerId) { continue }
            b.moveReaderIndex(forwardBy: RecordBatchHeader.size)
            for _ in 0..<header.recordCount {
                _ = readVarint(&b)
                b.moveReaderIndex(forwardBy: 1)
                _ = readVarint(&b); _ = readVarint(&b)
                let keyLength = readVarint(&b)
                if keyLength > 0 { b.moveReaderIndex(forwardBy: Int(keyLength)) }
                let valueLength = readVarint(&b)
                result.append(b.readString(length: Int(valueLength))!)
                _ = readVarint(&b)
            }
        }
        return result
    }

    static func varint(_ b: inout ByteBuffer, _ value: Int64) {
        var v = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        while v >= 0x80 {
            b.writeInteger(UInt8(v & 0x7f | 0x80))
            v >>= 7
        }
        b.writeInteger(UInt8(v))
    }

    static func readVarint(_ b: inout ByteBuffer) -> Int64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while let byte = b.readInteger(as: UInt8.self) {
            result |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { break }
            shift += 7
        }
        return Int64(bitPattern: result >> 1) ^ -Int64(bitPattern: result & 1)
    }
}
