/// One consumer group's membership and rebalance protocol, as a value type: events in (join,
/// sync, heartbeat, leave, clock ticks), actions out (the delayed JoinGroup and SyncGroup answers
/// to send). The broker performs the actions; tests drive it without sockets.
///
/// The broker only relays: the leader computes the assignment with whatever assignor its members
/// agreed on (eager or cooperative), exactly as Kafka's group coordinator does.
struct ConsumerGroup {
    enum State: String {
        case empty = "Empty"
        case preparingRebalance = "PreparingRebalance"
        case completingRebalance = "CompletingRebalance"
        case stable = "Stable"
    }

    /// Identifies a JoinGroup or SyncGroup request whose answer is held back.
    typealias Token = UInt64

    enum Action: Equatable {
        case answerJoin(Token, JoinGroupResult)
        case answerSync(Token, SyncGroupResult)
    }

    struct Member {
        var id: String
        /// The static identity (`group.instance.id`, KIP-345), when the member has one.
        var groupInstanceId: String? = nil
        var clientId: String
        var clientHost: String
        var sessionTimeoutMs: Int64
        var rebalanceTimeoutMs: Int64
        var protocols: [JoinGroupRequest.GroupProtocol]
        var assignment: [UInt8] = []
        var lastSeenMs: Int64
        var pendingJoin: Token?
        var pendingSync: Token?
    }

    let groupId: String
    private(set) var state: State = .empty
    private(set) var generation: Int32
    private(set) var protocolType: String?
    private(set) var protocolName: String?
    private(set) var leaderId: String?
    /// Members in join order, so the first to join leads.
    private(set) var memberOrder: [String] = []
    private(set) var members: [String: Member] = [:]
    private var rebalanceDeadlineMs: Int64 = 0
    /// While a new group waits for more members before its first rebalance (Kafka's
    /// `group.initial.rebalance.delay.ms`): the join completes at this time, not before.
    private var initialJoinUntilMs: Int64?
    private var nextMemberNumber = 0
    /// Member ids replaced by a newer member with the same static identity: their requests get
    /// FENCED_INSTANCE_ID (a zombie must stop, not rejoin and steal the identity back).
    private var fencedMemberIds: [String] = []

    init(groupId: String, generation: Int32 = 0) {
        self.groupId = groupId
        self.generation = generation
    }

    /// A JoinGroup: answers come back now or when every known member has rejoined (or the
    /// rebalance timeout removed the ones that did not). The first join of an empty group waits
    /// `initialRebalanceDelayMs` for more members, each newcomer restarting the wait.
    mutating func join(
        _ token: Token, _ request: JoinGroupRequest, clientId: String, clientHost: String, nowMs: Int64,
        initialRebalanceDelayMs: Int64 = 0
    ) -> [Action] {
        if let type = protocolType, !memberOrder.isEmpty, type != request.protocolType {
            return [.answerJoin(token, .failure(.inconsistentGroupProtocol, memberId: request.memberId))]
        }
        if !members.isEmpty, selectableProtocol(adding: request.protocols) == nil {
            return [.answerJoin(token, .failure(.inconsistentGroupProtocol, memberId: request.memberId))]
        }
        if request.sessionTimeoutMs < 1 || request.sessionTimeoutMs > 3_600_000 {
            return [.answerJoin(token, .failure(.invalidSessionTimeout, memberId: request.memberId))]
        }
        var memberId = request.memberId
        var actions: [Action] = []
        if fencedMemberIds.contains(memberId) {
            return [.answerJoin(token, .failure(.fencedInstanceId, memberId: memberId))]
        }
        if memberId.isEmpty, let instance = request.groupInstanceId,
           let predecessor = memberOrder.first(where: { members[$0]?.groupInstanceId == instance })
        {
            // Static membership (KIP-345): a restarted member replaces its predecessor at once
            // instead of the group waiting for the predecessor's session to expire.
            actions += fence(predecessor)
        }
        if memberId.isEmpty {
            nextMemberNumber += 1
            memberId = "\(clientId.isEmpty ? "member" : clientId)-\(generation)-\(nextMemberNumber)-\(UInt32.random(in: 0...UInt32.max))"
        } else if members[memberId] == nil {
            return [.answerJoin(token, .failure(.unknownMemberId, memberId: memberId))]
        }
        if var existing = members[memberId] {
            if let old = existing.pendingJoin {
                actions.append(.answerJoin(old, .failure(.unknownMemberId, memberId: memberId)))
            }
            existing.protocols = request.protocols
            existing.sessionTimeoutMs = Int64(request.sessionTimeoutMs)
            existing.rebalanceTimeoutMs = Int64(request.rebalanceTimeoutMs)
            existing.pendingJoin = token
            existing.lastSeenMs = nowMs
            members[memberId] = existing
        } else {
            members[memberId] = Member(
                id: memberId, groupInstanceId: request.groupInstanceId, clientId: clientId, clientHost: clientHost,
                sessionTimeoutMs: Int64(request.sessionTimeoutMs), rebalanceTimeoutMs: Int64(request.rebalanceTimeoutMs),
                protocols: request.protocols, lastSeenMs: nowMs, pendingJoin: token
            )
            memberOrder.append(memberId)
        }
        protocolType = request.protocolType
        let newGroup = state == .empty
        if state != .preparingRebalance {
            actions += startRebalance(nowMs: nowMs)
        }
        if initialRebalanceDelayMs > 0, newGroup || initialJoinUntilMs != nil {
            initialJoinUntilMs = min(nowMs + initialRebalanceDelayMs, rebalanceDeadlineMs)
        }
        actions += completeJoinIfReady(force: false)
        return actions
    }

    /// A SyncGroup: the leader's assignment is handed to every member.
    mutating func sync(_ token: Token, _ request: SyncGroupRequest) -> [Action] {
        if fencedMemberIds.contains(request.memberId) {
            return [.answerSync(token, SyncGroupResult(errorCode: .fencedInstanceId, assignment: []))]
        }
        guard var member = members[request.memberId] else {
            return [.answerSync(token, SyncGroupResult(errorCode: .unknownMemberId, assignment: []))]
        }
        if request.generationId != generation {
            return [.answerSync(token, SyncGroupResult(errorCode: .illegalGeneration, assignment: []))]
        }
        switch state {
        case .empty, .preparingRebalance:
            return [.answerSync(token, SyncGroupResult(errorCode: .rebalanceInProgress, assignment: []))]
        case .stable:
            return [.answerSync(token, SyncGroupResult(errorCode: .none, assignment: member.assignment))]
        case .completingRebalance:
            member.pendingSync = token
            members[request.memberId] = member
            guard request.memberId == leaderId else { return [] }
            var actions: [Action] = []
            for id in memberOrder {
                members[id]!.assignment = request.assignments[id] ?? []
                if let pending = members[id]!.pendingSync {
                    actions.append(.answerSync(pending, SyncGroupResult(errorCode: .none, assignment: members[id]!.assignment)))
                    members[id]!.pendingSync = nil
                }
            }
            state = .stable
            return actions
        }
    }

    /// A Heartbeat: keeps the member alive and tells it when to rejoin.
    mutating func heartbeat(memberId: String, generationId: Int32, nowMs: Int64) -> KafkaErrorCode {
        if fencedMemberIds.contains(memberId) { return .fencedInstanceId }
        guard members[memberId] != nil else { return .unknownMemberId }
        members[memberId]!.lastSeenMs = nowMs
        if state == .preparingRebalance { return .rebalanceInProgress }
        if generationId != generation { return .illegalGeneration }
        return .none
    }

    /// A LeaveGroup: the member goes and the others rebalance.
    mutating func leave(memberId: String, nowMs: Int64) -> (KafkaErrorCode, [Action]) {
        guard members[memberId] != nil else { return (.unknownMemberId, []) }
        return (.none, remove([memberId], nowMs: nowMs))
    }

    /// The clock: expires members that stopped heartbeating and ends rebalances that waited too long.
    mutating func tick(nowMs: Int64) -> [Action] {
        var actions: [Action] = []
        if let until = initialJoinUntilMs, nowMs >= until {
            initialJoinUntilMs = nil
            actions += completeJoinIfReady(force: false)
        }
        let expired = memberOrder.filter { id in
            let m = members[id]!
            return m.pendingJoin == nil && nowMs - m.lastSeenMs > m.sessionTimeoutMs
        }
        if !expired.isEmpty {
            actions += remove(expired, nowMs: nowMs)
        }
        if state == .preparingRebalance && nowMs >= rebalanceDeadlineMs {
            let absent = memberOrder.filter { members[$0]!.pendingJoin == nil }
            for id in absent { dropMember(id) }
            actions += completeJoinIfReady(force: true)
        }
        return actions
    }

    /// Expires every member at once, as if all their sessions had timed out (for tests).
    mutating func expireAll(nowMs: Int64) -> [Action] {
        remove(memberOrder, nowMs: nowMs)
    }

    /// Whether this member belongs to the current generation (for offset commits).
    func validate(memberId: String, generationId: Int32) -> KafkaErrorCode {
        if generationId < 0 && memberId.isEmpty && members.isEmpty { return .none }
        if fencedMemberIds.contains(memberId) { return .fencedInstanceId }
        guard members[memberId] != nil else { return .unknownMemberId }
        // Kafka accepts commits while a rebalance is being prepared (an eager consumer commits
        // as it gives up its partitions) but not while the new assignment is being handed out.
        if generationId != generation { return .illegalGeneration }
        if state == .completingRebalance { return .rebalanceInProgress }
        return .none
    }

    private mutating func remove(_ ids: [String], nowMs: Int64) -> [Action] {
        var actions: [Action] = []
        for id in ids {
            if let m = members[id] {
                if let j = m.pendingJoin { actions.append(.answerJoin(j, .failure(.unknownMemberId, memberId: id))) }
                if let s = m.pendingSync { actions.append(.answerSync(s, SyncGroupResult(errorCode: .unknownMemberId, assignment: []))) }
            }
            dropMember(id)
        }
        if state != .preparingRebalance {
            actions += startRebalance(nowMs: nowMs)
        }
        actions += completeJoinIfReady(force: false)
        return actions
    }

    /// Removes the member `id` because a newer member took its static identity: its held-back
    /// answers fail with FENCED_INSTANCE_ID and so will its later requests.
    private mutating func fence(_ id: String) -> [Action] {
        var actions: [Action] = []
        if let m = members[id] {
            if let j = m.pendingJoin { actions.append(.answerJoin(j, .failure(.fencedInstanceId, memberId: id))) }
            if let s = m.pendingSync { actions.append(.answerSync(s, SyncGroupResult(errorCode: .fencedInstanceId, assignment: []))) }
        }
        dropMember(id)
        fencedMemberIds.append(id)
        if fencedMemberIds.count > 1_000 { fencedMemberIds.removeFirst(fencedMemberIds.count - 1_000) }
        return actions
    }

    private mutating func dropMember(_ id: String) {
        members[id] = nil
        memberOrder.removeAll { $0 == id }
        if leaderId == id { leaderId = nil }
    }

    private mutating func startRebalance(nowMs: Int64) -> [Action] {
        var actions: [Action] = []
        for id in memberOrder {
            if let s = members[id]!.pendingSync {
                actions.append(.answerSync(s, SyncGroupResult(errorCode: .rebalanceInProgress, assignment: [])))
                members[id]!.pendingSync = nil
            }
        }
        state = .preparingRebalance
        let timeout = memberOrder.map { members[$0]!.rebalanceTimeoutMs }.max() ?? 0
        rebalanceDeadlineMs = nowMs + timeout
        return actions
    }

    private mutating func completeJoinIfReady(force: Bool) -> [Action] {
        guard state == .preparingRebalance else { return [] }
        guard force || (initialJoinUntilMs == nil && memberOrder.allSatisfy({ members[$0]!.pendingJoin != nil })) else { return [] }
        initialJoinUntilMs = nil
        generation += 1
        if memberOrder.isEmpty {
            state = .empty
            protocolName = nil
            leaderId = nil
            return []
        }
        let chosen = selectableProtocol(adding: []) ?? members[memberOrder[0]]!.protocols.first?.name ?? ""
        protocolName = chosen
        if leaderId == nil || members[leaderId!] == nil { leaderId = memberOrder[0] }
        state = .completingRebalance
        let all = memberOrder.map { id in
            JoinGroupResult.Member(memberId: id, groupInstanceId: members[id]!.groupInstanceId, metadata: members[id]!.protocols.first { $0.name == chosen }?.metadata ?? [])
        }
        var actions: [Action] = []
        for id in memberOrder {
            guard let token = members[id]!.pendingJoin else { continue }
            members[id]!.pendingJoin = nil
            actions.append(.answerJoin(token, JoinGroupResult(
                errorCode: .none, generationId: generation, protocolName: chosen,
                leader: leaderId!, memberId: id, members: id == leaderId ? all : []
            )))
        }
        return actions
    }

    /// The first protocol of the leader (or first member) that every member supports.
    private func selectableProtocol(adding extra: [JoinGroupRequest.GroupProtocol]) -> String? {
        let sets = memberOrder.map { Set(members[$0]!.protocols.map(\.name)) } + (extra.isEmpty ? [] : [Set(extra.map(\.name))])
        let preference = (leaderId.flatMap { members[$0] } ?? memberOrder.first.flatMap { members[$0] })?.protocols.map(\.name) ?? extra.map(\.name)
        return preference.first { name in sets.allSatisfy { $0.contains(name) } }
    }
}
