import Testing
@testable import DevBroker

@Suite("Consumer groups")
struct ConsumerGroupTests {
    private func joined(_ actions: [ConsumerGroup.Action], _ token: ConsumerGroup.Token) -> JoinGroupResult? {
        for case .answerJoin(let t, let r) in actions where t == token { return r }
        return nil
    }

    private func synced(_ actions: [ConsumerGroup.Action], _ token: ConsumerGroup.Token) -> SyncGroupResult? {
        for case .answerSync(let t, let r) in actions where t == token { return r }
        return nil
    }

    @Test func secondMemberTriggersARebalanceAndBothGetTheLeadersAssignment() throws {
        var g = ConsumerGroup(groupId: "g")
        let a = try #require(joined(g.join(1, try TestRequests.join(group: "g"), clientId: "a", clientHost: "h", nowMs: 0), 1))
        #expect(a.leader == a.memberId)
        _ = g.sync(2, SyncGroupRequest(groupId: "g", generationId: a.generationId, memberId: a.memberId, assignments: [a.memberId: [1]]))
        #expect(g.state == .stable)

        // B joins: held until A rejoins, which A learns from its heartbeat.
        let bJoin = g.join(3, try TestRequests.join(group: "g"), clientId: "b", clientHost: "h", nowMs: 10)
        #expect(joined(bJoin, 3) == nil)
        #expect(g.heartbeat(memberId: a.memberId, generationId: a.generationId, nowMs: 20) == .rebalanceInProgress)
        let rejoin = g.join(4, try TestRequests.join(group: "g", memberId: a.memberId), clientId: "a", clientHost: "h", nowMs: 30)
        let a2 = try #require(joined(rejoin, 4))
        let b = try #require(joined(rejoin, 3))
        #expect(a2.generationId == a.generationId + 1)
        #expect(b.generationId == a2.generationId)
        #expect(a2.members.count == 2)
        #expect(b.members.isEmpty)

        let bSync = g.sync(5, SyncGroupRequest(groupId: "g", generationId: b.generationId, memberId: b.memberId, assignments: [:]))
        #expect(bSync.isEmpty)
        let leaderSync = g.sync(6, SyncGroupRequest(groupId: "g", generationId: a2.generationId, memberId: a2.memberId, assignments: [a2.memberId: [1], b.memberId: [2]]))
        #expect(synced(leaderSync, 5)?.assignment == [2])
        #expect(synced(leaderSync, 6)?.assignment == [1])
        #expect(g.heartbeat(memberId: a.memberId, generationId: a.generationId, nowMs: 40) == .illegalGeneration)
    }

    @Test func restartedStaticMemberReplacesItsPredecessorWithoutWaitingForItsSession() throws {
        var g = ConsumerGroup(groupId: "g")
        let old = try #require(joined(g.join(1, try TestRequests.join(group: "g", groupInstanceId: "app-0", sessionTimeoutMs: 60_000), clientId: "a", clientHost: "h", nowMs: 0), 1))
        _ = g.sync(2, SyncGroupRequest(groupId: "g", generationId: old.generationId, memberId: old.memberId, assignments: [old.memberId: [1]]))
        // The process dies without leaving; its replacement joins with the same static id.
        let new = try #require(joined(g.join(3, try TestRequests.join(group: "g", groupInstanceId: "app-0", sessionTimeoutMs: 60_000), clientId: "a", clientHost: "h", nowMs: 100), 3))
        #expect(new.memberId != old.memberId)
        #expect(new.leader == new.memberId)
        #expect(g.members.count == 1)
        // The predecessor, should it still be alive, is fenced rather than let back in.
        #expect(g.heartbeat(memberId: old.memberId, generationId: old.generationId, nowMs: 200) == .fencedInstanceId)
        #expect(g.validate(memberId: old.memberId, generationId: old.generationId) == .fencedInstanceId)
        let rejoin = g.join(4, try TestRequests.join(group: "g", memberId: old.memberId, groupInstanceId: "app-0"), clientId: "a", clientHost: "h", nowMs: 300)
        #expect(joined(rejoin, 4)?.errorCode == .fencedInstanceId)
    }

    @Test func staticIdentityIsReportedToTheLeaderAndByDescribeGroups() throws {
        var state = try makeState()
        let actions = state.joinGroup(1, try TestRequests.join(group: "g", groupInstanceId: "app-0"), clientId: "c", clientHost: "/127.0.0.1", nowMs: 0)
        let leader = try #require(joined(actions, 1))
        #expect(leader.members.map(\.groupInstanceId) == ["app-0"])
        guard case .describeGroups(let request) = try TestRequests.decode(.describeGroups, 4, { w in
            w.arrayCount(1); w.string("g"); w.bool(false)
        }) else { fatalError() }
        let described = try #require(state.describeGroups(request).groups.first)
        #expect(described.state == "CompletingRebalance")
        #expect(described.members.map(\.groupInstanceId) == ["app-0"])
        #expect(described.members.map(\.clientHost) == ["/127.0.0.1"])
    }

    @Test func aNewGroupWaitsTheInitialRebalanceDelayForMoreMembers() throws {
        var g = ConsumerGroup(groupId: "g")
        let join = { (token: ConsumerGroup.Token, client: String, now: Int64) in
            g.join(token, try TestRequests.join(group: "g"), clientId: client, clientHost: "h", nowMs: now, initialRebalanceDelayMs: 3_000)
        }
        #expect(joined(try join(1, "a", 0), 1) == nil, "the first join waits for more members")
        #expect(g.tick(nowMs: 2_000).isEmpty)
        #expect(joined(try join(2, "b", 2_500), 2) == nil, "a newcomer restarts the wait")
        #expect(g.tick(nowMs: 5_000).isEmpty)
        let done = g.tick(nowMs: 5_500)
        let a = try #require(joined(done, 1))
        let b = try #require(joined(done, 2))
        #expect(a.generationId == 1 && b.generationId == 1)
        #expect(a.members.count == 2, "both are in the first generation: one rebalance, not two")
        _ = g.sync(3, SyncGroupRequest(groupId: "g", generationId: 1, memberId: a.memberId, assignments: [:]))
        // A group that is not new rebalances at once.
        let c = g.join(4, try TestRequests.join(group: "g"), clientId: "c", clientHost: "h", nowMs: 6_000, initialRebalanceDelayMs: 3_000)
        #expect(joined(c, 4) == nil)
        let rejoins = g.join(5, try TestRequests.join(group: "g", memberId: a.memberId), clientId: "a", clientHost: "h", nowMs: 6_010, initialRebalanceDelayMs: 3_000)
            + g.join(6, try TestRequests.join(group: "g", memberId: b.memberId), clientId: "b", clientHost: "h", nowMs: 6_020, initialRebalanceDelayMs: 3_000)
        #expect(joined(rejoins, 4)?.generationId == 2)
    }

    @Test func memberThatStopsHeartbeatingIsRemovedAfterItsSessionTimeout() throws {
        var g = ConsumerGroup(groupId: "g")
        let a = try #require(joined(g.join(1, try TestRequests.join(group: "g", sessionTimeoutMs: 1_000), clientId: "a", clientHost: "h", nowMs: 0), 1))
        _ = g.sync(2, SyncGroupRequest(groupId: "g", generationId: a.generationId, memberId: a.memberId, assignments: [:]))
        #expect(g.tick(nowMs: 900).isEmpty)
        _ = g.tick(nowMs: 1_001)
        #expect(g.members.isEmpty)
        #expect(g.state == .empty)
        #expect(g.heartbeat(memberId: a.memberId, generationId: a.generationId, nowMs: 1_002) == .unknownMemberId)
    }

    @Test func rebalanceTimeoutDropsMembersThatDoNotRejoin() throws {
        var g = ConsumerGroup(groupId: "g")
        let a = try #require(joined(g.join(1, try TestRequests.join(group: "g", sessionTimeoutMs: 60_000, rebalanceTimeoutMs: 5_000), clientId: "a", clientHost: "h", nowMs: 0), 1))
        _ = g.sync(2, SyncGroupRequest(groupId: "g", generationId: a.generationId, memberId: a.memberId, assignments: [:]))
        _ = g.join(3, try TestRequests.join(group: "g", rebalanceTimeoutMs: 5_000), clientId: "b", clientHost: "h", nowMs: 100)
        let done = g.tick(nowMs: 5_200)
        let b = try #require(joined(done, 3))
        #expect(b.errorCode == .none)
        #expect(b.leader == b.memberId)
        #expect(g.members.count == 1)
    }

    @Test func leavingMemberLetsTheOthersRebalance() throws {
        var g = ConsumerGroup(groupId: "g")
        let a = try #require(joined(g.join(1, try TestRequests.join(group: "g"), clientId: "a", clientHost: "h", nowMs: 0), 1))
        _ = g.sync(2, SyncGroupRequest(groupId: "g", generationId: a.generationId, memberId: a.memberId, assignments: [:]))
        let (code, _) = g.leave(memberId: a.memberId, nowMs: 5)
        #expect(code == .none)
        #expect(g.state == .empty)
        #expect(g.leave(memberId: a.memberId, nowMs: 6).0 == .unknownMemberId)
    }

    @Test func membersWithNoCommonProtocolAreRefused() throws {
        var g = ConsumerGroup(groupId: "g")
        _ = g.join(1, try TestRequests.join(group: "g", protocols: ["range"]), clientId: "a", clientHost: "h", nowMs: 0)
        let other = g.join(2, try TestRequests.join(group: "g", protocols: ["cooperative-sticky"]), clientId: "b", clientHost: "h", nowMs: 0)
        #expect(joined(other, 2)?.errorCode == .inconsistentGroupProtocol)
    }

    @Test func offsetCommitKeepsMetadataAndChecksTheGeneration() throws {
        var state = try makeState()
        state.createTopic("t", partitions: 1)
        let actions = state.joinGroup(1, try TestRequests.join(group: "g"), clientId: "c", clientHost: "h", nowMs: 0)
        let a = try #require(joined(actions, 1))
        _ = state.syncGroup(2, SyncGroupRequest(groupId: "g", generationId: a.generationId, memberId: a.memberId, assignments: [:]))
        let ok = state.offsetCommit(try TestRequests.offsetCommit(group: "g", generation: a.generationId, memberId: a.memberId, topic: "t", offset: 9, metadata: "state@9"))
        #expect(ok.topics[0].partitions[0].errorCode == .none)
        let stale = state.offsetCommit(try TestRequests.offsetCommit(group: "g", generation: a.generationId + 5, memberId: a.memberId, topic: "t", offset: 10, metadata: nil))
        #expect(stale.topics[0].partitions[0].errorCode == .illegalGeneration)
        let fetched = state.offsetFetch(try TestRequests.offsetFetch(group: "g", topic: "t", requireStable: false)).topics[0].partitions[0]
        #expect(fetched.offset == 9)
        #expect(fetched.metadata == "state@9")
    }
}
