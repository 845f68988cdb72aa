import KafkaClient

/// Source partitions librdkafka stopped fetching because their position was out of range
/// (``PositionOutOfRange``), from its report until the processor starts them again: the log
/// range reads under way for them, the positions the processor asked for meanwhile, and how
/// often each was started again at its own position lately. A value the processing thread
/// owns; tested without I/O.
///
/// librdkafka (2.0.2, still 2.15) refuses to seek such a partition (`_STATE`), so every seek
/// the processor asks for one of them (an abort's rollback, say) is turned into a restart
/// (``KafkaConsumer/restart(_:betweenUnassignAndAssign:)``), which supersedes the range read under way.
struct StoppedFetchers {
    /// A log range read for a stopped partition.
    struct Read: Sendable, Equatable {
        let partition: TopicPartition
        /// The offset librdkafka reported.
        let reported: Int64
        /// Identifies the read: a result whose read is not current any more is stale.
        let number: Int
    }

    private var stopped: [TopicPartition: Read] = [:]
    /// Where the processor asked stopped partitions to be sought while it could not restart
    /// them (inside a poll: librdkafka's rebalance callbacks run there).
    private var wanted: [TopicPartition: Int64] = [:]
    private var restarts: [TopicPartition: [ContinuousClock.Instant]] = [:]
    /// The offset up to which each partition's deleted records were skipped (and counted).
    private var skippedUpTo: [TopicPartition: Int64] = [:]
    private var readsStarted = 0

    var isEmpty: Bool { stopped.isEmpty }

    /// Whether librdkafka stopped `partition` and it was not started again since.
    func isStopped(_ partition: TopicPartition) -> Bool { stopped[partition] != nil }

    /// Notes librdkafka's reports; returns a read to start for each partition newly stopped
    /// (one already stopped has its read under way).
    mutating func reported(_ positions: [TopicPartition: Int64]) -> [Read] {
        var reads: [Read] = []
        for (partition, offset) in positions.sorted(by: { $0.key < $1.key }) where stopped[partition] == nil {
            readsStarted += 1
            let read = Read(partition: partition, reported: offset, number: readsStarted)
            stopped[partition] = read
            reads.append(read)
        }
        return reads
    }

    /// Whether `read` is still wanted: its partition was neither started again nor revoked.
    func isCurrent(_ read: Read) -> Bool { stopped[read.partition] == read }

    /// The processor asked `partition`, stopped, to be sought to `offset` when it could not be
    /// started again at once; the latest ask wins.
    mutating func want(_ partition: TopicPartition, at offset: Int64) {
        wanted[partition] = offset
    }

    /// The positions asked for since the last call, and forgets them.
    mutating func takeWanted() -> [PartitionOffset] {
        defer { wanted = [:] }
        return wanted.sorted { $0.key < $1.key }.map { PartitionOffset($0.key, offset: $0.value) }
    }

    /// `partition` was started again; `atItsOwnPosition` when nothing was skipped (counted
    /// towards ``PositionOutOfRange/restartsAtMost``).
    mutating func restarted(_ partition: TopicPartition, atItsOwnPosition: Bool, at now: ContinuousClock.Instant) {
        stopped[partition] = nil
        wanted[partition] = nil
        guard atItsOwnPosition else { return }
        restarts[partition, default: []].append(now)
    }

    /// How many times `partition` was started again at its own position within
    /// ``PositionOutOfRange/restartWindow`` before `now`.
    mutating func recentRestarts(of partition: TopicPartition, at now: ContinuousClock.Instant) -> Int {
        let recent = (restarts[partition] ?? []).filter { now - $0 < PositionOutOfRange.restartWindow }
        restarts[partition] = recent.isEmpty ? nil : recent
        return recent.count
    }

    /// How many of the records `from..<upTo` of `partition`, skipped as deleted, were not
    /// counted before (an abort's rollback below the log's start skips them again).
    mutating func newlySkipped(_ partition: TopicPartition, upTo: Int64, from: Int64) -> Int64 {
        let counted = skippedUpTo[partition] ?? from
        skippedUpTo[partition] = max(counted, upTo)
        return max(0, upTo - max(from, counted))
    }

    /// `partitions` were revoked or assigned anew: librdkafka starts their fetchers afresh.
    mutating func forget(_ partitions: [TopicPartition]) {
        for partition in partitions {
            stopped[partition] = nil
            wanted[partition] = nil
            restarts[partition] = nil
            skippedUpTo[partition] = nil
        }
    }
}
