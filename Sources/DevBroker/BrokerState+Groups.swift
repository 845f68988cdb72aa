import Logging
import NIOCore

/// BrokerState: consumer groups and their committed offsets.
extension BrokerState {
    mutating func withGroup<T>(_ id: String, _ body: (inout ConsumerGroup) -> T) -> T {
        var group = groups[id] ?? ConsumerGroup(groupId: id)
        let result = body(&group)
        let generationChanged = groups[id]?.generation != group.generation
        groups[id] = group
        if generationChanged { persist() }
        return result
    }

    mutating func joinGroup(_ token: ConsumerGroup.Token, _ request: JoinGroupRequest, clientId: String, clientHost: String, nowMs: Int64) -> [ConsumerGroup.Action] {
        if request.groupId.isEmpty { return [.answerJoin(token, .failure(.invalidGroupId))] }
        let delay = initialRebalanceDelayMs
        return withGroup(request.groupId) {
            $0.join(token, request, clientId: clientId, clientHost: clientHost, nowMs: nowMs, initialRebalanceDelayMs: delay)
        }
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
                        memberId: m, groupInstanceId: member.groupInstanceId, clientId: member.clientId, clientHost: member.clientHost,
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

    /// Expires every member of group `id` at once (for tests).
    mutating func expireMembers(ofGroup id: String, nowMs: Int64) -> [ConsumerGroup.Action] {
        guard groups[id] != nil else { return [] }
        return withGroup(id) { $0.expireAll(nowMs: nowMs) }
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
}
