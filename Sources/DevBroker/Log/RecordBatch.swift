import NIOCore

/// The header of a record batch (magic v2), read without touching the records.
///
/// Layout: baseOffset i64 @0, batchLength i32 @8, partitionLeaderEpoch i32 @12, magic i8 @16,
/// crc u32 @17 (over bytes 21...), attributes i16 @21, lastOffsetDelta i32 @23, baseTimestamp i64
/// @27, maxTimestamp i64 @35, producerId i64 @43, producerEpoch i16 @51, baseSequence i32 @53,
/// recordCount i32 @57, records @61.
struct RecordBatchHeader: Sendable, Equatable {
    static let size = 61
    static let logOverhead = 12

    var lastOffsetDelta: Int32
    var maxTimestamp: Int64
    var producerId: Int64
    var producerEpoch: Int16
    var baseSequence: Int32
    var recordCount: Int32
    var attributes: Int16

    var isTransactional: Bool { attributes & 0x10 != 0 }
    var isControl: Bool { attributes & 0x20 != 0 }
    var isIdempotent: Bool { producerId >= 0 }

    /// Reads the header at the start of `batch` (which holds exactly one whole batch).
    init(_ batch: ByteBuffer) throws {
        guard batch.readableBytes >= Self.size else {
            throw RecordBatchError("a record batch needs at least \(Self.size) bytes, got \(batch.readableBytes)")
        }
        let at = batch.readerIndex
        guard let magic = batch.getInteger(at: at + 16, as: Int8.self), magic == 2 else {
            throw RecordBatchError("only record batch v2 (magic 2) is supported, got magic \(batch.getInteger(at: at + 16, as: Int8.self) ?? -1)")
        }
        attributes = batch.getInteger(at: at + 21)!
        lastOffsetDelta = batch.getInteger(at: at + 23)!
        maxTimestamp = batch.getInteger(at: at + 35)!
        producerId = batch.getInteger(at: at + 43)!
        producerEpoch = batch.getInteger(at: at + 51)!
        baseSequence = batch.getInteger(at: at + 53)!
        recordCount = batch.getInteger(at: at + 57)!
        if lastOffsetDelta < 0 || recordCount < 0 {
            throw RecordBatchError("negative lastOffsetDelta \(lastOffsetDelta) or record count \(recordCount)")
        }
    }

    /// Splits a Produce request's `records` into whole batches, checking each one's CRC-32C.
    static func split(_ records: ByteBuffer) throws -> [(header: RecordBatchHeader, bytes: ByteBuffer)] {
        var rest = records
        var batches: [(RecordBatchHeader, ByteBuffer)] = []
        while rest.readableBytes > 0 {
            guard rest.readableBytes >= logOverhead, let length = rest.getInteger(at: rest.readerIndex + 8, as: Int32.self) else {
                throw RecordBatchError("\(rest.readableBytes) trailing bytes do not hold a batch header")
            }
            guard length >= RecordBatchHeader.size - logOverhead, Int(length) <= rest.readableBytes - logOverhead else {
                throw RecordBatchError("batch length \(length) does not fit the \(rest.readableBytes) bytes left")
            }
            let batch = rest.readSlice(length: logOverhead + Int(length))!
            let header = try RecordBatchHeader(batch)
            let stored: UInt32 = batch.getInteger(at: batch.readerIndex + 17)!
            let computed = batch.getSlice(at: batch.readerIndex + 21, length: batch.readableBytes - 21).map { CRC32C.checksum($0) } ?? 0
            if stored != computed {
                throw RecordBatchError("batch CRC is 0x\(String(stored, radix: 16)) but its bytes hash to 0x\(String(computed, radix: 16))", code: .corruptMessage)
            }
            batches.append((header, batch))
        }
        return batches
    }

    /// A control batch holding one COMMIT or ABORT marker for `producerId`, with a valid CRC.
    static func controlBatch(producerId: Int64, producerEpoch: Int16, commit: Bool, timestamp: Int64) -> ByteBuffer {
        // The one record: attributes, timestampDelta, offsetDelta, key, value, no headers.
        var record = ByteBuffer()
        record.writeInteger(UInt8(0))
        writeVarint(&record, 0)
        writeVarint(&record, 0)
        writeVarint(&record, 4)
        record.writeInteger(Int16(0))
        record.writeInteger(Int16(commit ? 1 : 0))
        writeVarint(&record, 6)
        record.writeInteger(Int16(0))
        record.writeInteger(Int32(0))
        writeVarint(&record, 0)

        var batch = ByteBuffer()
        batch.writeInteger(Int64(0))
        let lengthAt = batch.writerIndex
        batch.writeInteger(Int32(0))
        batch.writeInteger(Int32(0))
        batch.writeInteger(Int8(2))
        let crcAt = batch.writerIndex
        batch.writeInteger(UInt32(0))
        batch.writeInteger(Int16(0x30))
        batch.writeInteger(Int32(0))
        batch.writeInteger(timestamp)
        batch.writeInteger(timestamp)
        batch.writeInteger(producerId)
        batch.writeInteger(producerEpoch)
        batch.writeInteger(Int32(-1))
        batch.writeInteger(Int32(1))
        writeVarint(&batch, Int64(record.readableBytes))
        batch.writeImmutableBuffer(record)
        batch.setInteger(Int32(batch.readableBytes - logOverhead), at: lengthAt)
        let crc = CRC32C.checksum(batch.getSlice(at: 21, length: batch.readableBytes - 21)!)
        batch.setInteger(crc, at: crcAt)
        return batch
    }

    /// Zig-zag varint, as records use.
    private static func writeVarint(_ buffer: inout ByteBuffer, _ value: Int64) {
        var v = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        while v >= 0x80 {
            buffer.writeInteger(UInt8(v & 0x7f | 0x80))
            v >>= 7
        }
        buffer.writeInteger(UInt8(v))
    }
}

/// Why a produced batch was refused; `code` is what the partition answers.
struct RecordBatchError: Error, CustomStringConvertible {
    var description: String
    var code: KafkaErrorCode
    init(_ description: String, code: KafkaErrorCode = .corruptMessage) {
        self.description = description
        self.code = code
    }
}
