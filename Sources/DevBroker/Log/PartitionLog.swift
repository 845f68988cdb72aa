import NIOCore

/// One partition's log: record batches exactly as produced, with only the base offset assigned,
/// plus what Kafka derives from them for readers (high watermark, last stable offset, aborted
/// transactions) and for writers (each idempotent producer's last sequences).
struct PartitionLog {
    struct StoredBatch {
        var baseOffset: Int64
        var lastOffset: Int64
        var maxTimestamp: Int64
        /// The whole batch, base offset already patched in: what Fetch returns and what the file holds.
        var bytes: ByteBuffer
    }

    /// What the partition remembers of one idempotent producer, to drop retried duplicates.
    struct ProducerEntry: Equatable {
        struct Recent: Equatable {
            var firstSequence: Int32
            var lastSequence: Int32
            var baseOffset: Int64
        }
        var epoch: Int16
        /// The last five batches, as Kafka keeps (max.in.flight.requests.per.connection <= 5).
        var recent: [Recent]
        var lastSequence: Int32 { recent.last?.lastSequence ?? -1 }
    }

    enum AppendOutcome: Equatable {
        case appended(baseOffset: Int64)
        case duplicate(baseOffset: Int64)
        case rejected(KafkaErrorCode, reason: String)
    }

    private(set) var batches: [StoredBatch] = []
    /// The first offset a reader may fetch. Records below it were deleted (DeleteRecords) but
    /// their batches stay: a batch that straddles it is still returned whole, as Kafka does,
    /// and a restart rebuilds producer and transaction state from every batch.
    private(set) var logStartOffset: Int64 = 0
    private(set) var highWatermark: Int64 = 0
    /// Open transactions on this partition: producer id to the offset of its first batch.
    private(set) var openTransactions: [Int64: Int64] = [:]
    private(set) var abortedTransactions: [AbortedTransaction] = []
    private(set) var producers: [Int64: ProducerEntry] = [:]

    /// The first offset of the oldest open transaction, or the high watermark when none is open;
    /// never below the log start, which may have moved past an open transaction's first
    /// records (Kafka keeps `logStartOffset <= lastStableOffset <= highWatermark` the same way).
    var lastStableOffset: Int64 {
        guard let firstOpen = openTransactions.values.min() else { return highWatermark }
        return max(firstOpen, logStartOffset)
    }

    /// Makes the records below `offset` unreadable (when it is above the current log start).
    /// The open and aborted transactions stay as they are: a read_committed reader from the new
    /// log start still needs the aborted ones whose markers come later.
    ///
    /// - Precondition: `offset` is at most the high watermark.
    mutating func advanceLogStart(to offset: Int64) {
        precondition(offset <= highWatermark, "log start \(offset) beyond the high watermark \(highWatermark)")
        logStartOffset = max(logStartOffset, offset)
    }

    /// Checks a produced batch against the producer's sequence and, when it is new, appends it.
    mutating func append(_ batch: ByteBuffer, header: RecordBatchHeader) -> AppendOutcome {
        if header.isIdempotent && !header.isControl {
            if let entry = producers[header.producerId] {
                if header.producerEpoch < entry.epoch {
                    return .rejected(.invalidProducerEpoch, reason: "producer \(header.producerId) epoch \(header.producerEpoch) is older than \(entry.epoch)")
                }
                if header.producerEpoch == entry.epoch {
                    let last = header.baseSequence &+ header.lastOffsetDelta
                    if let dup = entry.recent.first(where: { $0.firstSequence == header.baseSequence && $0.lastSequence == last }) {
                        return .duplicate(baseOffset: dup.baseOffset)
                    }
                    if header.baseSequence != entry.lastSequence &+ 1 {
                        return .rejected(.outOfOrderSequenceNumber, reason: "producer \(header.producerId) sent sequence \(header.baseSequence), expected \(entry.lastSequence &+ 1)")
                    }
                } else if header.baseSequence != 0 {
                    return .rejected(.outOfOrderSequenceNumber, reason: "producer \(header.producerId) epoch \(header.producerEpoch) must start at sequence 0, sent \(header.baseSequence)")
                }
            } else if header.baseSequence != 0 {
                return .rejected(.outOfOrderSequenceNumber, reason: "producer \(header.producerId) is new here and must start at sequence 0, sent \(header.baseSequence)")
            }
        }
        let base = highWatermark
        appendStored(batch, header: header, baseOffset: base)
        return .appended(baseOffset: base)
    }

    /// Appends bytes whose checks are done (or that were read back from disk), updating the
    /// producer and transaction state the way a restart's log scan must too.
    mutating func appendStored(_ batch: ByteBuffer, header: RecordBatchHeader, baseOffset: Int64) {
        var bytes = ByteBuffer()
        bytes.reserveCapacity(batch.readableBytes)
        bytes.writeImmutableBuffer(batch)
        bytes.setInteger(baseOffset, at: 0)
        let last = baseOffset + Int64(header.lastOffsetDelta)
        batches.append(StoredBatch(baseOffset: baseOffset, lastOffset: last, maxTimestamp: header.maxTimestamp, bytes: bytes))
        highWatermark = last + 1
        if header.isControl {
            if let first = openTransactions.removeValue(forKey: header.producerId), Self.isAbortMarker(bytes) {
                abortedTransactions.append(AbortedTransaction(producerId: header.producerId, firstOffset: first, markerOffset: baseOffset))
            }
            return
        }
        if header.isIdempotent {
            var entry = producers[header.producerId] ?? ProducerEntry(epoch: header.producerEpoch, recent: [])
            if entry.epoch != header.producerEpoch {
                entry = ProducerEntry(epoch: header.producerEpoch, recent: [])
            }
            entry.recent.append(.init(firstSequence: header.baseSequence, lastSequence: header.baseSequence &+ header.lastOffsetDelta, baseOffset: baseOffset))
            if entry.recent.count > 5 { entry.recent.removeFirst() }
            producers[header.producerId] = entry
        }
        if header.isTransactional, openTransactions[header.producerId] == nil {
            openTransactions[header.producerId] = baseOffset
        }
    }

    /// The control record's key is (version i16, type i16); type 0 is ABORT.
    private static func isAbortMarker(_ batch: ByteBuffer) -> Bool {
        // Record: length varint @61, attributes @62, timestampDelta @63, offsetDelta @64,
        // keyLength varint @65 (4 -> one byte), key version @66, key type @68.
        batch.getInteger(at: batch.readerIndex + 68, as: Int16.self) == 0
    }

    /// Writes a COMMIT or ABORT marker for `producerId` and closes its transaction here.
    mutating func writeMarker(producerId: Int64, producerEpoch: Int16, commit: Bool, timestamp: Int64) -> ByteBuffer {
        let marker = RecordBatchHeader.controlBatch(producerId: producerId, producerEpoch: producerEpoch, commit: commit, timestamp: timestamp)
        let header = try! RecordBatchHeader(marker)  // built just above, always a valid v2 batch
        let offset = highWatermark
        appendStored(marker, header: header, baseOffset: offset)
        return batches[batches.count - 1].bytes
    }

    /// Batches from `offset` on (the first one may start before it), up to `maxBytes` (at least one
    /// batch, so a large batch cannot stall a reader), stopping before `limit`. Nothing wholly
    /// below the log start is returned, whatever `offset` is.
    func read(from offset: Int64, maxBytes: Int, limit: Int64) -> [ByteBuffer] {
        let offset = max(offset, logStartOffset)
        guard offset < limit, var index = indexOfBatch(containing: offset) else { return [] }
        var result: [ByteBuffer] = []
        var size = 0
        while index < batches.count, batches[index].baseOffset < limit {
            let b = batches[index]
            if !result.isEmpty && size + b.bytes.readableBytes > maxBytes { break }
            // A batch that ends past the limit is still returned only if it starts below it and the
            // limit is the high watermark; with read_committed the limit is an LSO, which never falls
            // inside a batch because open transactions start at batch boundaries.
            result.append(b.bytes)
            size += b.bytes.readableBytes
            index += 1
        }
        return result
    }

    /// Aborted transactions a read_committed reader needs for [from, upTo).
    func abortedTransactions(from: Int64, upTo: Int64) -> [AbortedTransaction] {
        abortedTransactions.filter { $0.markerOffset >= from && $0.firstOffset < upTo }
    }

    /// The first offset at or above the log start whose record has a timestamp at or after
    /// `timestamp`, or the high watermark. Exact within uncompressed batches (one whose records
    /// cannot be read is passed over); a compressed batch answers with its base offset, or the
    /// log start when that is inside it (the broker never decompresses).
    func offset(forTimestamp timestamp: Int64) -> Int64 {
        guard let first = indexOfBatch(containing: logStartOffset) else { return highWatermark }
        for b in batches[first...] where b.maxTimestamp >= timestamp && !Self.isControl(b.bytes) {
            guard Self.isUncompressed(b.bytes) else { return max(b.baseOffset, logStartOffset) }
            // None in a batch that straddles the log start when its later records are all older.
            if let found = Self.firstOffset(in: b, atOrAfter: timestamp, from: logStartOffset) { return found }
        }
        return highWatermark
    }

    private static func isControl(_ batch: ByteBuffer) -> Bool {
        (batch.getInteger(at: batch.readerIndex + 21, as: Int16.self) ?? 0) & 0x20 != 0
    }

    private static func isUncompressed(_ batch: ByteBuffer) -> Bool {
        (batch.getInteger(at: batch.readerIndex + 21, as: Int16.self) ?? 0) & 0x07 == 0
    }

    /// Walks the records of an uncompressed batch for the first at or above offset `from` with
    /// a timestamp at or after `timestamp`; nil when there is none or the batch is malformed.
    private static func firstOffset(in batch: StoredBatch, atOrAfter timestamp: Int64, from: Int64) -> Int64? {
        var bytes = batch.bytes
        let start = bytes.readerIndex
        guard let baseTimestamp = bytes.getInteger(at: start + 27, as: Int64.self),
            let count = bytes.getInteger(at: start + 57, as: Int32.self)
        else { return nil }
        bytes.moveReaderIndex(forwardBy: RecordBatchHeader.size)
        for _ in 0..<max(count, 0) {
            guard let length = readVarint(&bytes), length > 0, length <= bytes.readableBytes,
                var record = bytes.readSlice(length: Int(length)),
                record.readInteger(as: Int8.self) != nil,
                let timestampDelta = readVarint(&record),
                let offsetDelta = readVarint(&record)
            else { return nil }
            if baseTimestamp + timestampDelta >= timestamp && batch.baseOffset + offsetDelta >= from {
                return batch.baseOffset + offsetDelta
            }
        }
        return nil
    }

    /// A zig-zag varint as records use, at most 10 bytes.
    private static func readVarint(_ buffer: inout ByteBuffer) -> Int64? {
        var raw: UInt64 = 0
        for shift in stride(from: 0, to: 70, by: 7) {
            guard let byte = buffer.readInteger(as: UInt8.self) else { return nil }
            raw |= UInt64(byte & 0x7f) << UInt64(shift)
            if byte & 0x80 == 0 { return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1) }
        }
        return nil
    }

    private func indexOfBatch(containing offset: Int64) -> Int? {
        var low = 0
        var high = batches.count
        while low < high {
            let mid = (low + high) / 2
            if batches[mid].lastOffset < offset { low = mid + 1 } else { high = mid }
        }
        return low < batches.count ? low : nil
    }
}
