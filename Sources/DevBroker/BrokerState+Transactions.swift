import Logging
import NIOCore

/// BrokerState: the transaction coordinator: producer ids, epochs, markers, transactional offsets.
extension BrokerState {
    mutating func initProducerId(_ request: InitProducerIdRequest, nowMs: Int64) -> InitProducerIdResponse {
        guard let id = request.transactionalId, !id.isEmpty else {
            let pid = allocateProducerId()
            producerEpochs[pid] = 0
            persist()
            return InitProducerIdResponse(errorCode: .none, producerId: pid, producerEpoch: 0)
        }
        guard request.transactionTimeoutMs > 0 && request.transactionTimeoutMs <= Self.maxTransactionTimeoutMs else {
            return InitProducerIdResponse(errorCode: .invalidTransactionTimeout, producerId: -1, producerEpoch: -1)
        }
        if request.bumpsAnEpoch, let txn = transactions[id] {
            if txn.lastProducerId == request.producerId, txn.lastProducerEpoch == request.producerEpoch {
                // A retry of the bump that made the current epoch: the same answer again.
                logger.info("transaction \(id): producer \(request.producerId) asked again to bump its epoch \(request.producerEpoch); it is \(txn.producerEpoch) already")
                return InitProducerIdResponse(errorCode: .none, producerId: txn.producerId, producerEpoch: txn.producerEpoch)
            }
            // KIP-360: only the current holder may bump its epoch; anyone else is a zombie.
            guard txn.producerId == request.producerId, txn.producerEpoch == request.producerEpoch else {
                let fenced: KafkaErrorCode = request.version >= 4 ? .producerFenced : .invalidProducerEpoch
                return InitProducerIdResponse(errorCode: fenced, producerId: -1, producerEpoch: -1)
            }
            logger.info("transaction \(id): producer \(request.producerId) asked to bump its epoch \(request.producerEpoch) (it resets its sequence numbers)")
        }
        // (A bump asked for a transactional id this broker does not know, as after a restart
        // without a data directory, gets a new producer id, as from Kafka.)
        if var txn = transactions[id] {
            if txn.phase == .ongoing {
                logger.info(request.bumpsAnEpoch
                    ? "transaction \(id): aborting its open transaction for the epoch bump"
                    : "transaction \(id): a new producer took over; aborting the previous holder's open transaction")
                abort(id, bumpEpoch: false, nowMs: nowMs)
                txn = transactions[id]!
            }
            (txn.lastProducerId, txn.lastProducerEpoch) = request.bumpsAnEpoch ? (txn.producerId, txn.producerEpoch) : (nil, nil)
            if txn.producerEpoch >= Int16.max - 1 {
                transactionOfProducer[txn.producerId] = nil
                txn.producerId = allocateProducerId()
                txn.producerEpoch = 0
            } else {
                txn.producerEpoch += 1
            }
            txn.timeoutMs = request.transactionTimeoutMs
            txn.reset()
            transactions[id] = txn
        } else {
            transactions[id] = TransactionState(transactionalId: id, producerId: allocateProducerId(), producerEpoch: 0, timeoutMs: request.transactionTimeoutMs)
        }
        let txn = transactions[id]!
        transactionOfProducer[txn.producerId] = id
        producerEpochs[txn.producerId] = txn.producerEpoch
        persist()
        return InitProducerIdResponse(errorCode: .none, producerId: txn.producerId, producerEpoch: txn.producerEpoch)
    }

    mutating func allocateProducerId() -> Int64 {
        nextProducerId += 1
        return nextProducerId
    }

    func checkTransaction(_ id: String, producerId: Int64, epoch: Int16) -> KafkaErrorCode {
        guard let txn = transactions[id] else { return .invalidProducerIdMapping }
        return txn.check(producerId: producerId, epoch: epoch)
    }

    mutating func addPartitionsToTxn(_ request: AddPartitionsToTxnRequest, nowMs: Int64) -> PartitionErrorsResponse {
        var code = checkTransaction(request.transactionalId, producerId: request.producerId, epoch: request.producerEpoch)
        if code == .none {
            for t in request.topics where partitions(of: t.name, create: true).map({ count in t.partitions.contains { $0 < 0 || $0 >= count } }) ?? true {
                code = .unknownTopicOrPartition
            }
        }
        if code == .none {
            var txn = transactions[request.transactionalId]!
            txn.begin(nowMs: nowMs)
            for t in request.topics {
                for p in t.partitions { txn.partitions.insert(TopicPartition(topic: t.name, partition: p)) }
            }
            transactions[request.transactionalId] = txn
            persist()
        }
        return PartitionErrorsResponse(topics: request.topics.map { t in .init(name: t.name, partitions: t.partitions.map { ($0, code) }) }, throttleSinceVersion: 0)
    }

    mutating func addOffsetsToTxn(_ request: AddOffsetsToTxnRequest, nowMs: Int64) -> KafkaErrorCode {
        let code = checkTransaction(request.transactionalId, producerId: request.producerId, epoch: request.producerEpoch)
        guard code == .none else { return code }
        transactions[request.transactionalId]!.begin(nowMs: nowMs)
        transactions[request.transactionalId]!.groups.insert(request.groupId)
        persist()
        return .none
    }

    mutating func txnOffsetCommit(_ request: OffsetCommitRequest) -> PartitionErrorsResponse {
        let id = request.transactionalId ?? ""
        var code = checkTransaction(id, producerId: request.producerId, epoch: request.producerEpoch)
        if code == .none, transactions[id]!.phase != .ongoing || !transactions[id]!.groups.contains(request.groupId) {
            code = .invalidTxnState
        }
        // KIP-447: a zombie that lost its partitions in a rebalance must not commit their offsets.
        if code == .none, request.generationId >= 0 || !request.memberId.isEmpty {
            code = groups[request.groupId]?.validate(memberId: request.memberId, generationId: request.generationId) ?? .unknownMemberId
            if code == .rebalanceInProgress { code = .none }
        }
        if code == .none {
            for t in request.topics {
                for p in t.partitions {
                    transactions[id]!.pendingOffsets[request.groupId, default: [:]][TopicPartition(topic: t.name, partition: p.index)] =
                        CommittedOffset(offset: p.offset, leaderEpoch: p.leaderEpoch, metadata: p.metadata)
                }
            }
            persist()
        }
        return PartitionErrorsResponse(
            topics: request.topics.map { .init(name: $0.name, partitions: $0.partitions.map { ($0.index, code) }) },
            throttleSinceVersion: 0
        )
    }

    mutating func endTxn(_ request: EndTxnRequest, nowMs: Int64) -> KafkaErrorCode {
        let code = checkTransaction(request.transactionalId, producerId: request.producerId, epoch: request.producerEpoch)
        guard code == .none else { return code }
        guard transactions[request.transactionalId]!.phase == .ongoing else {
            // Nothing was added: there is nothing to commit or abort.
            return .none
        }
        if request.committed {
            commit(request.transactionalId, nowMs: nowMs)
        } else {
            abort(request.transactionalId, bumpEpoch: false, nowMs: nowMs)
        }
        persist()
        return .none
    }

    /// Commits in two steps, as Kafka's coordinator does: the decision and the transaction's
    /// offsets are durable before any marker is written. Markers first, then the state, would
    /// leave a broker killed in between with COMMIT markers in the logs (the outputs visible) and
    /// the transaction still open in `state.log`: its restart would abort it and drop its
    /// offsets, and a consumer-processor would produce those outputs a second time.
    mutating func commit(_ id: String, nowMs: Int64) {
        prepareCommit(id)
        guard storageFailure == nil else { return }
        completeCommit(id, nowMs: nowMs)
    }

    /// The first step of a commit: applies its offsets and saves the transaction as decided.
    mutating func prepareCommit(_ id: String) {
        for (group, committed) in transactions[id]!.pendingOffsets {
            offsets[group, default: [:]].merge(committed) { _, new in new }
        }
        transactions[id]!.pendingOffsets = [:]
        transactions[id]!.phase = .prepareCommit
        persist()
    }

    /// Writes the COMMIT markers of a commit already decided (``commit(_:nowMs:)``, or a restart
    /// that found it decided) and empties the transaction.
    mutating func completeCommit(_ id: String, nowMs: Int64, onRestart: Bool = false) {
        writeMarkers(transactions[id]!, commit: true, nowMs: nowMs, onRestart: onRestart)
        transactions[id]!.reset()
    }

    /// Writes ABORT markers and drops the pending offsets; with `bumpEpoch` (a timeout) the
    /// producer that owned the transaction is fenced.
    mutating func abort(_ id: String, bumpEpoch: Bool, nowMs: Int64) {
        var txn = transactions[id]!
        if bumpEpoch && txn.producerEpoch < Int16.max - 1 {
            (txn.lastProducerId, txn.lastProducerEpoch) = (nil, nil)  // fenced: no retry claims it back
            txn.producerEpoch += 1
            producerEpochs[txn.producerId] = txn.producerEpoch
        }
        writeMarkers(txn, commit: false, nowMs: nowMs)
        txn.reset()
        transactions[id] = txn
    }

    /// Writes a marker to each of the transaction's partitions, as Kafka does; `onRestart`, only
    /// to those where the producer's transaction is still open, since a broker that stopped
    /// while writing a commit's markers may have written some of them.
    mutating func writeMarkers(_ txn: TransactionState, commit: Bool, nowMs: Int64, onRestart: Bool = false) {
        for tp in txn.partitions.sorted(by: { ($0.topic, $0.partition) < ($1.topic, $1.partition) }) {
            guard storageFailure == nil, topics[tp.topic] != nil, Int(tp.partition) < topics[tp.topic]!.count else { continue }
            if onRestart, topics[tp.topic]![Int(tp.partition)].openTransactions[txn.producerId] == nil { continue }
            let bytes = topics[tp.topic]![Int(tp.partition)].writeMarker(producerId: txn.producerId, producerEpoch: txn.producerEpoch, commit: commit, timestamp: nowMs)
            do {
                try store?.append(tp, bytes)
            } catch {
                failStorage("cannot write the transaction marker of \(tp.topic)-\(tp.partition) to the data directory", tp, error)
            }
        }
    }
}
