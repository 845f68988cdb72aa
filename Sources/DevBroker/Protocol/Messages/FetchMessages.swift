import NIOCore

/// Fetch (key 1), v4: the first version with an isolation level and aborted transactions.
struct FetchRequest: Sendable {
    struct Partition: Sendable {
        var index: Int32
        var fetchOffset: Int64
        var maxBytes: Int32
    }
    struct Topic: Sendable {
        var name: String
        var partitions: [Partition]
    }
    var maxWaitMs: Int32
    var minBytes: Int32
    var maxBytes: Int32
    var readCommitted: Bool
    var topics: [Topic]

    init(from r: inout KafkaReader, version: Int16) throws {
        _ = try r.int32("replica_id")
        maxWaitMs = try r.int32("max_wait_ms")
        minBytes = try r.int32("min_bytes")
        maxBytes = version >= 3 ? try r.int32("max_bytes") : Int32.max
        readCommitted = version >= 4 ? try r.int8("isolation_level") == 1 : false
        topics = try r.array("topics", minElementSize: 6) { r in
            Topic(
                name: try r.string("topic"),
                partitions: try r.array("partitions", minElementSize: 16) { r in
                    Partition(
                        index: try r.int32("partition"),
                        fetchOffset: try r.int64("fetch_offset"),
                        maxBytes: try r.int32("partition_max_bytes")
                    )
                }
            )
        }
    }
}

/// A transaction that was aborted, as Fetch reports it: the reader drops this producer's
/// records from `firstOffset` until it meets the producer's abort marker.
struct AbortedTransaction: Sendable, Codable, Equatable {
    var producerId: Int64
    var firstOffset: Int64
    /// The offset of the ABORT marker; not on the wire, used to pick the ones a fetch needs.
    var markerOffset: Int64
}

struct FetchResponse: KafkaResponseBody {
    struct Partition {
        var index: Int32
        var errorCode: KafkaErrorCode
        var highWatermark: Int64
        var lastStableOffset: Int64
        var abortedTransactions: [AbortedTransaction]?
        /// Stored batches, written back to back exactly as they were stored.
        var batches: [ByteBuffer]
    }
    struct Topic {
        var name: String
        var partitions: [Partition]
    }
    var topics: [Topic]

    var recordBytes: Int {
        topics.reduce(0) { $0 + $1.partitions.reduce(0) { $0 + $1.batches.reduce(0) { $0 + $1.readableBytes } } }
    }

    /// Whether the answer goes out now instead of waiting for more records: it holds
    /// `minBytes` (at least one byte), or a partition is in error. Kafka answers an error at
    /// once, so a reader whose position a DeleteRecords removed, or whose topic was deleted,
    /// learns it then, not when its wait ends.
    func isReady(minBytes: Int32) -> Bool {
        recordBytes >= Int(max(minBytes, 1)) || topics.contains { $0.partitions.contains { $0.errorCode != .none } }
    }

    func encode(into w: inout KafkaWriter, version: Int16) {
        w.int32(0)
        w.array(topics) { w, t in
            w.string(t.name)
            w.array(t.partitions) { w, p in
                w.int32(p.index)
                w.int16(p.errorCode.rawValue)
                w.int64(p.highWatermark)
                w.int64(p.lastStableOffset)
                if let aborted = p.abortedTransactions {
                    w.array(aborted) { w, a in
                        w.int64(a.producerId)
                        w.int64(a.firstOffset)
                    }
                } else {
                    w.int32(-1)
                }
                let size = p.batches.reduce(0) { $0 + $1.readableBytes }
                w.int32(Int32(size))
                for batch in p.batches {
                    w.attach(batch)
                }
            }
        }
    }
}
