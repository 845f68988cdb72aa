import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import Synchronization

/// The broker state behind a lock, and the answers it holds back: JoinGroup and SyncGroup
/// until the rebalance completes, Fetch until data arrives or its max wait passes.
final class BrokerCore: Sendable {
    typealias Reply = (any KafkaResponseBody)?

    private struct FetchWaiter {
        var request: FetchRequest
        var promise: EventLoopPromise<Reply>
    }

    private struct Inner {
        var state: BrokerState
        var groupPromises: [ConsumerGroup.Token: EventLoopPromise<Reply>] = [:]
        var fetchWaiters: [UInt64: FetchWaiter] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let inner: NIOLockedValueBox<Inner>
    let logger: Logger
    /// Called once, off the lock, when a write to the data directory fails (with what failed
    /// and what to do), so that a program embedding the broker can stop.
    private let onStorageFailure: @Sendable (String) -> Void

    /// For tests: the next `remaining` answers to requests of one API go out `delay` after the
    /// state applied them; `held` counts those on hold right now.
    struct AnswerHold {
        var remaining = 0
        var delay = TimeAmount.zero
        var held = 0
    }
    /// The holds by API (EndTxn and Produce are the ones tests use).
    let answerHolds = NIOLockedValueBox([ApiKey: AnswerHold]())
    /// Whether a test ever held answers: until then no request takes `answerHolds`' lock.
    private let answerHoldsArmed = Atomic<Bool>(false)

    /// Holds the next `count` answers to `key` for `delay` each.
    func holdAnswers(to key: ApiKey, count: Int, for delay: TimeAmount) {
        answerHolds.withLockedValue { $0[key] = .init(remaining: count, delay: delay, held: $0[key]?.held ?? 0) }
        answerHoldsArmed.store(true, ordering: .releasing)
    }

    /// The delay for an answer to `key` about to go out, counting it as held; `nil` for none.
    func takeAnswerDelay(for key: ApiKey) -> TimeAmount? {
        guard answerHoldsArmed.load(ordering: .acquiring) else { return nil }
        return answerHolds.withLockedValue { holds in
            guard var hold = holds[key], hold.remaining > 0 else { return nil }
            hold.remaining -= 1
            hold.held += 1
            holds[key] = hold
            return hold.delay
        }
    }

    /// A held answer to `key` went out.
    func releaseHeldAnswer(for key: ApiKey) {
        answerHolds.withLockedValue { $0[key]?.held -= 1 }
    }

    init(state: BrokerState, logger: Logger, onStorageFailure: @escaping @Sendable (String) -> Void = { _ in }) {
        inner = NIOLockedValueBox(Inner(state: state))
        self.logger = logger
        self.onStorageFailure = onStorageFailure
    }

    /// What failed when a write to the data directory failed; `nil` while the broker answers.
    var storageFailure: String? {
        inner.withLockedValue { $0.state.storageFailure }
    }

    static func nowMs() -> Int64 {
        Int64(NIODeadline.now().uptimeNanoseconds / 1_000_000)
    }

    /// Wall-clock milliseconds, for marker timestamps.
    static func wallMs() -> Int64 {
        Int64(Date().timeIntervalSince1970 * 1000)
    }

    /// Answers one request; the future completes at once except for held-back answers.
    /// A nil reply means no response is sent (Produce with acks=0). Once the data directory
    /// could not be written, every request is answered by closing its connection.
    func handle(_ request: KafkaRequest, clientId: String, clientHost: String, on eventLoop: EventLoop) -> Answer {
        let now = Self.nowMs()
        var completions: [(EventLoopPromise<Reply>, Reply)] = []
        var held: EventLoopPromise<Reply>?
        func hold() -> EventLoopPromise<Reply> {
            let p = eventLoop.makePromise(of: Reply.self)
            held = p
            return p
        }
        func apply(_ inner: inout Inner) -> Reply? {
            switch request {
            case .apiVersions:
                return ApiVersionsResponse()
            case .metadata(let r):
                return inner.state.metadata(r)
            case .produce(let r):
                let response = inner.state.produce(r, nowMs: Self.wallMs())
                completions += Self.wakeFetchers(&inner)
                return r.acks == 0 ? Optional<Reply>.some(nil) : response
            case .fetch(let r):
                let response = inner.state.fetch(r)
                if response.isReady(minBytes: r.minBytes) || r.maxWaitMs <= 0 {
                    return response
                }
                inner.nextWaiter += 1
                let id = inner.nextWaiter
                inner.fetchWaiters[id] = FetchWaiter(request: r, promise: hold())
                eventLoop.scheduleTask(in: .milliseconds(Int64(r.maxWaitMs))) { [self] in
                    self.expireFetch(id)
                }
                return nil
            case .listOffsets(let r):
                return inner.state.listOffsets(r)
            case .findCoordinator:
                return FindCoordinatorResponse(nodeId: inner.state.nodeId, host: inner.state.host, port: inner.state.port)
            case .joinGroup(let r):
                let token = inner.state.makeToken()
                inner.groupPromises[token] = hold()
                completions += Self.resolve(&inner, inner.state.joinGroup(token, r, clientId: clientId, clientHost: clientHost, nowMs: now))
                return nil
            case .syncGroup(let r):
                let token = inner.state.makeToken()
                inner.groupPromises[token] = hold()
                completions += Self.resolve(&inner, inner.state.syncGroup(token, r))
                return nil
            case .heartbeat(let r):
                return ErrorOnlyResponse(errorCode: inner.state.heartbeat(r, nowMs: now))
            case .leaveGroup(let r):
                let (code, actions) = inner.state.leaveGroup(r, nowMs: now)
                completions += Self.resolve(&inner, actions)
                return ErrorOnlyResponse(errorCode: code)
            case .offsetCommit(let r):
                return inner.state.offsetCommit(r)
            case .offsetFetch(let r):
                return inner.state.offsetFetch(r)
            case .describeGroups(let r):
                return inner.state.describeGroups(r)
            case .listGroups:
                return inner.state.listGroups()
            case .initProducerId(let r):
                let response = inner.state.initProducerId(r, nowMs: Self.wallMs())
                completions += Self.wakeFetchers(&inner)
                return response
            case .addPartitionsToTxn(let r):
                return inner.state.addPartitionsToTxn(r, nowMs: Self.wallMs())
            case .addOffsetsToTxn(let r):
                return ErrorOnlyResponse(errorCode: inner.state.addOffsetsToTxn(r, nowMs: Self.wallMs()), throttleSinceVersion: 0)
            case .txnOffsetCommit(let r):
                return inner.state.txnOffsetCommit(r)
            case .endTxn(let r):
                let code = inner.state.endTxn(r, nowMs: Self.wallMs())
                completions += Self.wakeFetchers(&inner)
                return ErrorOnlyResponse(errorCode: code, throttleSinceVersion: 0)
            case .createTopics(let r):
                return inner.state.createTopics(r)
            case .deleteTopics(let r):
                let response = inner.state.deleteTopics(r)
                completions += Self.wakeFetchers(&inner)
                return response
            case .deleteRecords(let r):
                let response = inner.state.deleteRecords(r)
                completions += Self.wakeFetchers(&inner)
                return response
            case .describeConfigs(let r):
                return inner.state.describeConfigs(r)
            }
        }
        let (reply, failure) = inner.withLockedValue { inner -> (Reply?, Failure?) in
            if inner.state.storageFailure != nil { return (nil, Failure(message: nil, pending: [])) }
            let reply = apply(&inner)
            return (reply, Self.failureIfNew(&inner))
        }
        if let failure {
            // Nothing the request changed may be acknowledged: the answers it completed fail
            // instead, and their connections close. (Its own held answer, if any, is among
            // those or among the held-back ones the failure took.)
            fail(failure, plus: completions.map(\.0))
            return .close
        }
        for (p, value) in completions { p.succeed(value) }
        if let held { return .later(held.futureResult) }
        return .now(reply ?? nil)
    }

    /// An answer available at once, one held back, or none: the connection is to be closed.
    enum Answer {
        case now(Reply)
        case later(EventLoopFuture<Reply>)
        case close
    }

    /// A write to the data directory that failed: its message when it failed just now, and the
    /// held-back answers to fail.
    private struct Failure {
        var message: String?
        var pending: [EventLoopPromise<Reply>]
    }

    /// Under the lock, after a change: when the change's write failed, takes every held-back
    /// answer, to be failed.
    private static func failureIfNew(_ inner: inout Inner) -> Failure? {
        guard let message = inner.state.storageFailure else { return nil }
        let pending = Array(inner.groupPromises.values) + inner.fetchWaiters.values.map(\.promise)
        inner.groupPromises = [:]
        inner.fetchWaiters = [:]
        return Failure(message: message, pending: pending)
    }

    /// Off the lock: fails the held-back answers (`ConnectionHandler` closes their connections)
    /// and tells the embedding program, once.
    private func fail(_ failure: Failure, plus more: [EventLoopPromise<Reply>] = []) {
        for promise in failure.pending + more {
            promise.fail(ChannelError.ioOnClosedChannel)
        }
        if let message = failure.message { onStorageFailure(message) }
    }

    /// Timeouts: group sessions and rebalances, transactions.
    func tick() {
        change { inner in
            let actions = inner.state.tick(nowMs: Self.nowMs(), wallMs: Self.wallMs())
            return Self.resolve(&inner, actions) + Self.wakeFetchers(&inner)
        }
    }

    /// Expires every member of group `id` now, as if their sessions had timed out (for tests).
    func expireMembers(ofGroup id: String) {
        change { inner in Self.resolve(&inner, inner.state.expireMembers(ofGroup: id, nowMs: Self.nowMs())) }
    }

    /// A change no request asked for (a timeout, a test's): made under the lock unless the data
    /// directory failed already, then the answers it released are settled.
    private func change(_ body: (inout Inner) -> [(EventLoopPromise<Reply>, Reply)]) {
        var completions: [(EventLoopPromise<Reply>, Reply)] = []
        let failure = inner.withLockedValue { inner -> Failure? in
            guard inner.state.storageFailure == nil else { return nil }
            completions = body(&inner)
            return Self.failureIfNew(&inner)
        }
        settle(completions, failure)
    }

    /// Completes the answers a change released, or, when its write failed, fails them.
    private func settle(_ completions: [(EventLoopPromise<Reply>, Reply)], _ failure: Failure?) {
        if let failure {
            fail(failure, plus: completions.map(\.0))
        } else {
            for (p, value) in completions { p.succeed(value) }
        }
    }

    private func expireFetch(_ id: UInt64) {
        let done: (EventLoopPromise<Reply>, Reply)? = inner.withLockedValue { inner in
            guard let waiter = inner.fetchWaiters.removeValue(forKey: id) else { return nil }
            return (waiter.promise, inner.state.fetch(waiter.request))
        }
        if let (p, value) = done { p.succeed(value) }
    }

    /// Takes the waiting fetches a change made ready (records arrived, or a partition went into
    /// error), with their answers.
    private static func wakeFetchers(_ inner: inout Inner) -> [(EventLoopPromise<Reply>, Reply)] {
        guard !inner.fetchWaiters.isEmpty else { return [] }
        var done: [(EventLoopPromise<Reply>, Reply)] = []
        for (id, waiter) in inner.fetchWaiters {
            let response = inner.state.fetch(waiter.request)
            if response.isReady(minBytes: waiter.request.minBytes) {
                inner.fetchWaiters[id] = nil
                done.append((waiter.promise, response))
            }
        }
        return done
    }

    private static func resolve(_ inner: inout Inner, _ actions: [ConsumerGroup.Action]) -> [(EventLoopPromise<Reply>, Reply)] {
        actions.compactMap { action in
            switch action {
            case .answerJoin(let token, let result):
                return inner.groupPromises.removeValue(forKey: token).map { ($0, result) }
            case .answerSync(let token, let result):
                return inner.groupPromises.removeValue(forKey: token).map { ($0, result) }
            }
        }
    }

    func setAdvertisedPort(_ port: Int) {
        inner.withLockedValue { $0.state.port = Int32(port) }
    }

    /// Fails every held-back answer (their connections are closing) and closes the data
    /// directory's files. Must run before the event loops shut down, since failing a promise
    /// runs its callbacks on its loop; it also breaks the promise -> loop -> task -> core cycle.
    func close() {
        let pending: [EventLoopPromise<Reply>] = inner.withLockedValue { inner in
            let promises = Array(inner.groupPromises.values) + inner.fetchWaiters.values.map(\.promise)
            inner.groupPromises = [:]
            inner.fetchWaiters = [:]
            inner.state.store?.close()
            return promises
        }
        for promise in pending {
            promise.fail(ChannelError.ioOnClosedChannel)
        }
    }
}
