import KafkaClient

/// The partitions the processing thread paused so that the consumer queue drains while a
/// checkpoint's offsets wait for the ``RestartWindow`` to close, and lifts again afterwards.
///
/// While offsets wait, the loop polls whatever the lanes' room, or the window (and with it the
/// checkpoint) would wait for polls that backpressure never lets happen. Records those polls
/// took went to the lanes unbounded: up to everything the queue held at the restart
/// (`queued.min.messages`, 500,000 by default), far past the lanes' backlog limit, and the next
/// barrier stalled behind it. Pausing the fetching partitions instead empties the queue of
/// their records: librdkafka (2.0.2) bumps a paused partition's version as the pause is asked
/// (`rd_kafka_toppar_op_pause_resume`, `rdkafka_partition.c` 2254-2275), a poll drops every
/// record of an older version without returning it or counting it (`rd_kafka_q_serve_rkmessages`
/// and `rd_kafka_op_filter`, `rdkafka_queue.c` 632-636 and 317-327; `rd_kafka_op_version_outdated`,
/// `rdkafka_partition.h` 798-810), and the pause itself, which returns once librdkafka has
/// taken it (`rd_kafka_pause_partitions` is `RD_SYNC`, `rdkafka_subscription.c` 264-269), sets
/// the partition to be fetched again from the offset after the last record a poll returned
/// (`rktp_app_offset`, set as a poll returns a record, `rdkafka_op.c` 924-927, and saved by the
/// pause, `rdkafka_partition.c` 1848-1853; a seek or a fetcher stop resets it, and the partition
/// then resumes where that seek or the next start put it, 1668, 1773), which a resume starts
/// from (`rd_kafka_toppar_fetch_decide`, `rdkafka_fetcher.c` 976-1001). Not the committed
/// offset: nothing handed to a lane is read twice, nothing skipped. The queue is left with rebalances and
/// reports, served by the next poll or two, which leaves it empty and closes the window.
///
/// Only partitions fetching on the application's behalf are paused: one held for its committed
/// offsets, one waiting for librdkafka to take its seek, and one whose fetcher librdkafka
/// stopped are paused or stopped already, and lifting their pause here would undo that. A
/// pause something else lifts meanwhile is forgotten (a revocation or an assignment lifts it,
/// `RebalanceDispatch`; a seek that resumes, a restart): such a partition fetches again and is
/// paused again by the next step while offsets still wait. What is resumed at the end is what
/// this pauses and nothing lifted, and that is still assigned and held for no other reason.
struct RestartWindowPause: Sendable, Equatable {
    /// Partitions this paused whose pause nothing has lifted since.
    private(set) var paused: Set<TopicPartition> = []
    /// Partitions whose pause librdkafka refused: not asked again until something lifts or
    /// changes them (asking each loop would not do better), and never resumed. In librdkafka
    /// 2.0.2 a resume of a partition that is not paused is not harmless: it drops the queued
    /// records and fetches again from the last start, seek or pause (read twice; fixed in 2.4.0).
    private(set) var refused: Set<TopicPartition> = []

    var isEmpty: Bool { paused.isEmpty && refused.isEmpty }

    /// The partitions of `assigned` to pause now: those not paused by this already (nor
    /// refused), nor `heldElsewhere` (paused or stopped for another reason), in a stable order.
    func toPause(assigned: some Sequence<TopicPartition>, heldElsewhere: (TopicPartition) -> Bool) -> [TopicPartition] {
        assigned.filter { !paused.contains($0) && !refused.contains($0) && !heldElsewhere($0) }.sorted()
    }

    /// `partitions` were paused.
    mutating func pausedNow(_ partitions: [TopicPartition]) {
        paused.formUnion(partitions)
    }

    /// librdkafka refused to pause `partitions`.
    mutating func pauseRefused(_ partitions: [TopicPartition]) {
        refused.formUnion(partitions)
    }

    /// Something else lifted the pause of `partitions`, or they left the assignment: they are
    /// not this one's to resume.
    mutating func lifted(_ partitions: some Sequence<TopicPartition>) {
        paused.subtract(partitions)
        refused.subtract(partitions)
    }

    /// The offsets no longer wait: the partitions to resume (those still `assigned` and not
    /// `heldElsewhere`, whose pause belongs to what holds them now), in a stable order; this
    /// forgets them all.
    mutating func takeForResume(assigned: (TopicPartition) -> Bool, heldElsewhere: (TopicPartition) -> Bool) -> [TopicPartition] {
        defer { (paused, refused) = ([], []) }
        return paused.filter { assigned($0) && !heldElsewhere($0) }.sorted()
    }
}
