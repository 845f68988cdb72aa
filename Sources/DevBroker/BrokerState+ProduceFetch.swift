import Logging
import NIOCore

/// BrokerState: the log: produce with idempotence and fencing checks, fetch, offsets by time.
extension BrokerState {
    mutating func produce(_ request: ProduceRequest, nowMs: Int64) -> ProduceResponse {
        ProduceResponse(topics: request.topics.map { topic in
            let count = partitions(of: topic.name, create: true)
            return .init(name: topic.name, partitions: topic.partitions.map { p in
                func fail(_ code: KafkaErrorCode) -> ProduceResponse.Partition {
                    .init(index: p.index, errorCode: code, baseOffset: -1, logStartOffset: -1)
                }
                guard storageFailure == nil else { return fail(.kafkaStorageError) }
                guard let count, p.index >= 0, Int(p.index) < count else { return fail(.unknownTopicOrPartition) }
                let tp = TopicPartition(topic: topic.name, partition: p.index)
                let batches: [(header: RecordBatchHeader, bytes: ByteBuffer)]
                do {
                    batches = try RecordBatchHeader.split(p.records ?? ByteBuffer())
                } catch let error as RecordBatchError {
                    logger.warning("Produce to \(tp) refused: \(error.description)")
                    return fail(error.code)
                } catch {
                    return fail(.corruptMessage)
                }
                var firstOffset: Int64 = -1
                for (header, bytes) in batches {
                    let code = checkProducer(header, tp: tp, transactionalId: request.transactionalId, nowMs: nowMs)
                    if code != .none { return fail(code) }
                    switch topics[topic.name]![Int(p.index)].append(bytes, header: header) {
                    case .appended(let base):
                        if firstOffset < 0 { firstOffset = base }
                        do {
                            try store?.append(tp, topics[topic.name]![Int(p.index)].batches.last!.bytes)
                        } catch {
                            failStorage("cannot write to \(tp.topic)-\(tp.partition) in the data directory", tp, error)
                            return fail(.kafkaStorageError)
                        }
                    case .duplicate(let base):
                        if firstOffset < 0 { firstOffset = base }
                    case .rejected(let code, let reason):
                        logger.debug("Produce to \(tp) refused: \(reason)")
                        return fail(code)
                    }
                }
                return .init(index: p.index, errorCode: .none, baseOffset: firstOffset, logStartOffset: topics[topic.name]![Int(p.index)].logStartOffset)
            })
        })
    }

    /// Fencing and transaction membership for one produced batch.
    mutating func checkProducer(_ header: RecordBatchHeader, tp: TopicPartition, transactionalId: String?, nowMs: Int64) -> KafkaErrorCode {
        if header.isControl { return .invalidRecord }
        guard header.isIdempotent else {
            return header.isTransactional ? .invalidRecord : .none
        }
        if let current = producerEpochs[header.producerId], header.producerEpoch < current {
            return .invalidProducerEpoch
        }
        guard header.isTransactional else { return .none }
        guard let id = transactionOfProducer[header.producerId], id == transactionalId || transactionalId == nil,
            var txn = transactions[id]
        else { return .invalidProducerIdMapping }
        if txn.producerEpoch != header.producerEpoch { return .invalidProducerEpoch }
        if txn.phase != .ongoing || !txn.partitions.contains(tp) {
            // librdkafka always adds the partition first; being lenient here costs nothing.
            txn.begin(nowMs: nowMs)
            txn.partitions.insert(tp)
            transactions[id] = txn
        }
        return .none
    }

    func fetch(_ request: FetchRequest) -> FetchResponse {
        var budget = Int(max(request.maxBytes, 1))
        return FetchResponse(topics: request.topics.map { topic in
            .init(name: topic.name, partitions: topic.partitions.map { p in
                guard let logs = topics[topic.name], p.index >= 0, Int(p.index) < logs.count else {
                    return .init(index: p.index, errorCode: .unknownTopicOrPartition, highWatermark: -1, lastStableOffset: -1, abortedTransactions: nil, batches: [])
                }
                let log = logs[Int(p.index)]
                guard p.fetchOffset >= log.logStartOffset && p.fetchOffset <= log.highWatermark else {
                    return .init(index: p.index, errorCode: .offsetOutOfRange, highWatermark: log.highWatermark, lastStableOffset: log.lastStableOffset, abortedTransactions: nil, batches: [])
                }
                let limit = request.readCommitted ? log.lastStableOffset : log.highWatermark
                let maxBytes = min(Int(max(p.maxBytes, 1)), budget)
                let batches = budget > 0 ? log.read(from: p.fetchOffset, maxBytes: maxBytes, limit: limit) : []
                budget -= batches.reduce(0) { $0 + $1.readableBytes }
                let aborted = request.readCommitted ? log.abortedTransactions(from: p.fetchOffset, upTo: limit) : nil
                return .init(index: p.index, errorCode: .none, highWatermark: log.highWatermark, lastStableOffset: log.lastStableOffset, abortedTransactions: aborted, batches: batches)
            })
        })
    }

    func listOffsets(_ request: ListOffsetsRequest) -> ListOffsetsResponse {
        ListOffsetsResponse(topics: request.topics.map { topic in
            .init(name: topic.name, partitions: topic.partitions.map { p in
                guard let logs = topics[topic.name], p.index >= 0, Int(p.index) < logs.count else {
                    return .init(index: p.index, errorCode: .unknownTopicOrPartition, offset: -1)
                }
                let log = logs[Int(p.index)]
                let offset: Int64
                switch p.timestamp {
                case ListOffsetsRequest.latest: offset = request.readCommitted ? log.lastStableOffset : log.highWatermark
                case ListOffsetsRequest.earliest: offset = log.logStartOffset
                default: offset = log.offset(forTimestamp: p.timestamp)
                }
                return .init(index: p.index, errorCode: .none, offset: offset)
            })
        })
    }
}
