import Logging
import NIOCore

/// The whole broker as a value type: requests in, responses out. Groups answer some requests
/// later, so their methods return `ConsumerGroup.Action`s; the server keeps the promises.
///
/// Every method is synchronous and runs under the server's lock, so one request's effects are
/// atomic with respect to every other connection.
struct BrokerState {
    let nodeId: Int32 = 1
    let clusterId = "exactly-devbroker"
    var host: String
    var port: Int32
    var defaultPartitions: Int32
    var autoCreateTopics: Bool
    private(set) var topics: [String: [PartitionLog]] = [:]
    private(set) var groups: [String: ConsumerGroup] = [:]
    private(set) var offsets: [String: [TopicPartition: CommittedOffset]] = [:]
    private(set) var transactions: [String: TransactionState] = [:]
    private var producerEpochs: [Int64: Int16] = [:]
    private var transactionOfProducer: [Int64: String] = [:]
    private var nextProducerId: Int64 = 1000
    private var nextToken: ConsumerGroup.Token = 1
    let store: DataStore?
    let logger: Logger

    /// Kafka's `transaction.max.timeout.ms` default.
    static let maxTransactionTimeoutMs: Int32 = 900_000

    init(configuration: DevBrokerConfiguration, store: DataStore?, logger: Logger, nowMs: Int64) throws {
        host = configuration.host
        port = Int32(configuration.port)
        defaultPartitions = Int32(configuration.defaultPartitions)
        autoCreateTopics = configuration.autoCreateTopics
        self.store = store
        self.logger = logger
        guard let store, let snapshot = try store.loadState() else { return }
        for (name, count) in snapshot.topics {
            topics[name] = try (0..<count).map { try store.loadPartition(TopicPartition(topic: name, partition: $0)) }
        }
        for (id, generation) in snapshot.groupGenerations {
            groups[id] = ConsumerGroup(groupId: id, generation: generation)
        }
        offsets = snapshot.offsets
        transactions = snapshot.transactions
        producerEpochs = snapshot.producerEpochs
        nextProducerId = snapshot.nextProducerId
        for (id, txn) in transactions {
            transactionOfProducer[txn.producerId] = id
        }
        // A transaction open when the broker stopped can never be finished by its producer's
        // session, so it is aborted now; the epoch bump fences that producer if it is still alive.
        for (id, txn) in transactions where txn.phase == .ongoing {
            logger.info("aborting transaction \(id) (producer \(txn.producerId)) that was open when the broker stopped")
            abort(id, bumpEpoch: true, nowMs: nowMs)
        }
        persist()
    }

    mutating func makeToken() -> ConsumerGroup.Token {
        nextToken += 1
        return nextToken
    }

    // MARK: topics

    static func isValidTopicName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 249 && name != "." && name != ".."
            && name.utf8.allSatisfy { c in
                (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x2e || c == 0x5f || c == 0x2d
            }
    }

    @discardableResult
    mutating func createTopic(_ name: String, partitions: Int32) -> KafkaErrorCode {
        guard Self.isValidTopicName(name) else { return .invalidTopic }
        guard topics[name] == nil else { return .topicAlreadyExists }
        guard partitions > 0 && partitions <= 10_000 else { return .invalidPartitions }
        topics[name] = Array(repeating: PartitionLog(), count: Int(partitions))
        logger.info("created topic \(name) with \(partitions) partition(s)")
        persist()
        return .none
    }

    /// The topic's partitions, creating the topic if allowed.
    private mutating func partitions(of name: String, create: Bool) -> Int? {
        if let p = topics[name] { return p.count }
        guard create && autoCreateTopics, createTopic(name, partitions: defaultPartitions) == .none else { return nil }
        return topics[name]?.count
    }

    mutating func metadata(_ request: MetadataRequest) -> MetadataResponse {
        let names = request.topics ?? topics.keys.sorted()
        let result = names.map { name -> MetadataResponse.Topic in
            if !Self.isValidTopicName(name) {
                return .init(errorCode: .invalidTopic, name: name, partitions: [])
            }
            guard let count = partitions(of: name, create: request.allowAutoTopicCreation && request.topics != nil) else {
                return .init(errorCode: .unknownTopicOrPartition, name: name, partitions: [])
            }
            return .init(errorCode: .none, name: name, partitions: (0..<Int32(count)).map { .init(errorCode: .none, index: $0) })
        }
        return MetadataResponse(nodeId: nodeId, host: host, port: port, clusterId: clusterId, topics: result)
    }

    mutating func createTopics(_ request: CreateTopicsRequest) -> CreateTopicsResponse {
        CreateTopicsResponse(topics: request.topics.map { t in
            let count = t.numPartitions == -1 ? (t.assignedPartitions > 0 ? Int32(t.assignedPartitions) : defaultPartitions) : t.numPartitions
            if t.replicationFactor != -1 && t.replicationFactor != 1 && t.assignedPartitions == 0 {
                return (t.name, .invalidReplicationFactor, "this development broker has one node: replication factor must be 1 or -1, got \(t.replicationFactor)")
            }
            if request.validateOnly {
                let code: KafkaErrorCode = !Self.isValidTopicName(t.name) ? .invalidTopic : topics[t.name] != nil ? .topicAlreadyExists : count <= 0 ? .invalidPartitions : .none
                return (t.name, code, nil)
            }
            let code = createTopic(t.name, partitions: count)
            return (t.name, code, code == .none ? nil : "cannot create topic \(t.name) with \(count) partitions")
        })
    }

    mutating func deleteTopics(_ request: DeleteTopicsRequest) -> DeleteTopicsResponse {
        DeleteTopicsResponse(topics: request.names.map { name in
            guard let logs = topics.removeValue(forKey: name) else { return (name, .unknownTopicOrPartition) }
            for p in 0..<logs.count {
                store?.deletePartition(TopicPartition(topic: name, partition: Int32(p)))
            }
            for group in offsets.keys {
                offsets[group] = offsets[group]?.filter { $0.key.topic != name }
            }
            logger.info("deleted topic \(name)")
            persist()
            return (name, .none)
        })
    }

    func describeConfigs(_ request: DescribeConfigsRequest) -> DescribeConfigsResponse {
        DescribeConfigsResponse(results: request.resources.map { r in
            var configs: [DescribeConfigsResponse.Config]
            switch r.type {
            case DescribeConfigsRequest.topicResource:
                guard topics[r.name] != nil else {
                    return .init(errorCode: .unknownTopicOrPartition, message: "topic \(r.name) does not exist", type: r.type, name: r.name, configs: [])
                }
                configs = [
                    .init(name: "cleanup.policy", value: "delete", isDefault: true),
                    .init(name: "retention.ms", value: "-1", isDefault: false),
                    .init(name: "max.message.bytes", value: "104857600", isDefault: false),
                    .init(name: "message.timestamp.type", value: "CreateTime", isDefault: true),
                    .init(name: "min.insync.replicas", value: "1", isDefault: true),
                ]
            case DescribeConfigsRequest.brokerResource:
                configs = [
                    .init(name: "auto.create.topics.enable", value: autoCreateTopics ? "true" : "false", isDefault: false),
                    .init(name: "num.partitions", value: String(defaultPartitions), isDefault: false),
                    .init(name: "transaction.max.timeout.ms", value: String(Self.maxTransactionTimeoutMs), isDefault: true),
                    .init(name: "offsets.topic.replication.factor", value: "1", isDefault: false),
                ]
            default:
                return .init(errorCode: .invalidRequest, message: "resource type \(r.type) is not supported by the development broker", type: r.type, name: r.name, configs: [])
            }
            if let keys = r.keys {
                configs = configs.filter { keys.contains($0.name) }
            }
            return .init(errorCode: .none, message: nil, type: r.type, name: r.name, configs: configs)
        })
    }

    // MARK: produce and fetch

    mutating func produce(_ request: ProduceRequest, nowMs: Int64) -> ProduceResponse {
        ProduceResponse(topics: request.topics.map { topic in
            let count = partitions(of: topic.name, create: true)
            return .init(name: topic.name, partitions: topic.partitions.map { p in
                func fail(_ code: KafkaErrorCode) -> ProduceResponse.Partition {
                    .init(index: p.index, errorCode: code, baseOffset: -1, logStartOffset: -1)
                }
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
                            logger.error("cannot write \(tp) to the data directory: \(error)")
                        }
                    case .duplicate(let base):
                        if firstOffset < 0 { firstOffset = base }
                    case .rejected(let code, let reason):
                        logger.debug("Produce to \(tp) refused: \(reason)")
                        return fail(code)
                    }
                }
                return .init(index: p.index, errorCode: .none, baseOffset: firstOffset, logStartOffset: 0)
            })
        })
    }

    /// Fencing and transaction membership for one produced batch.
    private mutating func checkProducer(_ header: RecordBatchHeader, tp: TopicPartition, transactionalId: String?, nowMs: Int64) -> KafkaErrorCode {
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

    // MARK: groups

    private mutating func withGroup<T>(_ id: String, _ body: (inout ConsumerGroup) -> T) -> T {
        var group = groups[id] ?? ConsumerGroup(groupId: id)
        let result = body(&group)
        let generationChanged = groups[id]?.generation != group.generation
        groups[id] = group
        if generationChanged { persist() }
        return result
    }

    mutating func joinGroup(_ token: ConsumerGroup.Token, _ request: JoinGroupRequest, clientId: String, clientHost: String, nowMs: Int64) -> [ConsumerGroup.Action] {
        if request.groupId.isEmpty { return [.answerJoin(token, .failure(.invalidGroupId))] }
        return withGroup(request.groupId) { $0.join(token, request, clientId: clientId, clientHost: clientHost, nowMs: nowMs) }
    }

    mutating func syncGroup(_ token: ConsumerGroup.Token, _ request: SyncGroupRequest) -> [ConsumerGroup.Action] {
        guard groups[request.groupId] != nil else { return [.answerSync(token, SyncGroupResult(errorCode: .unknownMemberId, assignment: []))] }
        return withGroup(request.groupId) { $0.sync(token, request) }
    }

    mutating func heartbeat(_ request: HeartbeatRequest, nowMs: Int64) -> KafkaErrorCode {
        guard groups[request.groupId] != nil else { return .unknownMemberId }
        return withGroup(request.groupId) { $0.heartbeat(memberId: request.memberId, generationId: request.generationId, nowMs: nowMs) }
    }

    mutating func leaveGroup(_ request: LeaveGroupRequest, nowMs: Int64) -> (KafkaErrorCode, [ConsumerGroup.Action]) {
        guard groups[request.groupId] != nil else { return (.unknownMemberId, []) }
        return withGroup(request.groupId) { $0.leave(memberId: request.memberId, nowMs: nowMs) }
    }

    func describeGroups(_ request: DescribeGroupsRequest) -> DescribeGroupsResponse {
        DescribeGroupsResponse(groups: request.groups.map { id in
            guard let g = groups[id] else {
                return .init(errorCode: .none, groupId: id, state: "Dead", protocolType: "", protocolName: "", members: [])
            }
            return .init(
                errorCode: .none, groupId: id, state: g.state.rawValue, protocolType: g.protocolType ?? "",
                protocolName: g.protocolName ?? "",
                members: g.memberOrder.map { m in
                    let member = g.members[m]!
                    return .init(
                        memberId: m, clientId: member.clientId, clientHost: member.clientHost,
                        metadata: member.protocols.first { $0.name == g.protocolName }?.metadata ?? [],
                        assignment: member.assignment
                    )
                }
            )
        })
    }

    func listGroups() -> ListGroupsResponse {
        ListGroupsResponse(groups: Set(groups.keys).union(offsets.keys).sorted().map { ($0, groups[$0]?.protocolType ?? "consumer") })
    }

    mutating func offsetCommit(_ request: OffsetCommitRequest) -> PartitionErrorsResponse {
        let code = request.groupId.isEmpty
            ? .invalidGroupId
            : (groups[request.groupId]?.validate(memberId: request.memberId, generationId: request.generationId)
                ?? (request.generationId < 0 ? .none : .unknownMemberId))
        if code == .none {
            for t in request.topics {
                for p in t.partitions {
                    offsets[request.groupId, default: [:]][TopicPartition(topic: t.name, partition: p.index)] =
                        CommittedOffset(offset: p.offset, leaderEpoch: p.leaderEpoch, metadata: p.metadata)
                }
            }
            persist()
        }
        return PartitionErrorsResponse(
            topics: request.topics.map { .init(name: $0.name, partitions: $0.partitions.map { ($0.index, code) }) },
            throttleSinceVersion: 3
        )
    }

    func offsetFetch(_ request: OffsetFetchRequest) -> OffsetFetchResponse {
        let committed = offsets[request.groupId] ?? [:]
        let wanted: [OffsetFetchRequest.Topic] = request.topics ?? Dictionary(grouping: committed.keys, by: \.topic)
            .map { OffsetFetchRequest.Topic(name: $0.key, partitions: $0.value.map(\.partition).sorted()) }
            .sorted { $0.name < $1.name }
        let pending: Set<TopicPartition> = request.requireStable
            ? Set(transactions.values.flatMap { $0.pendingOffsets[request.groupId]?.keys.map { $0 } ?? [] })
            : []
        return OffsetFetchResponse(topics: wanted.map { t in
            .init(name: t.name, partitions: t.partitions.map { index in
                let tp = TopicPartition(topic: t.name, partition: index)
                if pending.contains(tp) {
                    return .init(index: index, offset: -1, leaderEpoch: -1, metadata: nil, errorCode: .unstableOffsetCommit)
                }
                let c = committed[tp]
                return .init(index: index, offset: c?.offset ?? -1, leaderEpoch: c?.leaderEpoch ?? -1, metadata: c?.metadata ?? "", errorCode: .none)
            })
        }, errorCode: .none)
    }

    /// Session and rebalance timeouts of every group (monotonic `nowMs`), then transaction
    /// timeouts (wall-clock `wallMs`, the clock transactions are stamped with and persisted in).
    mutating func tick(nowMs: Int64, wallMs: Int64) -> [ConsumerGroup.Action] {
        var actions: [ConsumerGroup.Action] = []
        for id in groups.keys where !groups[id]!.members.isEmpty {
            actions += withGroup(id) { $0.tick(nowMs: nowMs) }
        }
        for (id, txn) in transactions where txn.phase == .ongoing && wallMs - txn.startedMs > Int64(txn.timeoutMs) {
            logger.info("transaction \(id) (producer \(txn.producerId)) exceeded its timeout of \(txn.timeoutMs) ms: aborting it")
            abort(id, bumpEpoch: true, nowMs: wallMs)
            persist()
        }
        return actions
    }

    // MARK: transactions

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
        if var txn = transactions[id] {
            if txn.phase == .ongoing {
                logger.info("transaction \(id): a new producer took over; aborting the previous holder's open transaction")
                abort(id, bumpEpoch: false, nowMs: nowMs)
                txn = transactions[id]!
            }
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

    private mutating func allocateProducerId() -> Int64 {
        nextProducerId += 1
        return nextProducerId
    }

    private func checkTransaction(_ id: String, producerId: Int64, epoch: Int16) -> KafkaErrorCode {
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

    private mutating func commit(_ id: String, nowMs: Int64) {
        let txn = transactions[id]!
        writeMarkers(txn, commit: true, nowMs: nowMs)
        for (group, committed) in txn.pendingOffsets {
            offsets[group, default: [:]].merge(committed) { _, new in new }
        }
        transactions[id]!.reset()
    }

    /// Writes ABORT markers and drops the pending offsets; with `bumpEpoch` (timeout, restart)
    /// the producer that owned the transaction is fenced.
    private mutating func abort(_ id: String, bumpEpoch: Bool, nowMs: Int64) {
        var txn = transactions[id]!
        if bumpEpoch && txn.producerEpoch < Int16.max - 1 {
            txn.producerEpoch += 1
            producerEpochs[txn.producerId] = txn.producerEpoch
        }
        writeMarkers(txn, commit: false, nowMs: nowMs)
        txn.reset()
        transactions[id] = txn
    }

    private mutating func writeMarkers(_ txn: TransactionState, commit: Bool, nowMs: Int64) {
        for tp in txn.partitions.sorted(by: { ($0.topic, $0.partition) < ($1.topic, $1.partition) }) {
            guard topics[tp.topic] != nil, Int(tp.partition) < topics[tp.topic]!.count else { continue }
            let bytes = topics[tp.topic]![Int(tp.partition)].writeMarker(producerId: txn.producerId, producerEpoch: txn.producerEpoch, commit: commit, timestamp: nowMs)
            do {
                try store?.append(tp, bytes)
            } catch {
                logger.error("cannot write the transaction marker of \(tp) to the data directory: \(error)")
            }
        }
    }

    // MARK: persistence

    private func persist() {
        guard let store else { return }
        let snapshot = BrokerSnapshot(
            topics: topics.mapValues { Int32($0.count) },
            groupGenerations: groups.mapValues(\.generation),
            offsets: offsets,
            transactions: transactions,
            producerEpochs: producerEpochs,
            nextProducerId: nextProducerId
        )
        do {
            try store.saveState(snapshot)
        } catch {
            logger.error("cannot save broker state to \(store.directory.path): \(error)")
        }
    }
}
