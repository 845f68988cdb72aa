/// Whether a restart of stopped partitions may still have a rebalance behind it in the consumer
/// queue that librdkafka took the restart as the answer to, and no poll has served yet.
///
/// librdkafka (2.0.2) takes a restart's incremental unassign as the application's answer to a
/// revocation it has queued but no poll has served (join state `WAIT_UNASSIGN_CALL`,
/// `rdkafka_cgrp.c` 3353-3370), and may rejoin the group without the revoked partitions before
/// the processor's handler hears of them. Such a revocation is in the consumer queue when the
/// restart returns: `rd_kafka_incremental_unassign` waits for librdkafka's group thread to take
/// it (`rd_kafka_assign0`, `rdkafka_subscription.c` 103-124: an op answered on that thread), and
/// that thread queued the revocation before, as it entered the state
/// (`rd_kafka_rebalance_op_incr`, `rdkafka_cgrp.c` 958-991). Records and
/// rebalances share the queue first in, first out (neither has a priority; only throttle and
/// a few internal reports do), and nothing but the processing thread's polls takes from it, each
/// serving the rebalances it takes before it returns (`rd_kafka_q_serve_rkmessages`,
/// `rdkafka_queue.c` 574-679). So once
/// the polls since the restart have taken as many records as the queue then held, or a poll
/// left it empty, every rebalance queued before the restart has been served: a record queued
/// after the restart comes out only behind them.
///
/// While the window is open a revocation the handler serves may be one the restart answered,
/// and a checkpoint's offsets, sent now, could commit what the member may have told the group
/// it no longer owns. Once it is closed neither can be the case: a revocation queued after the
/// restart is answered by the handler alone. A restart that finds the queue empty opens no
/// window at all.
struct RestartWindow: Sendable, Equatable {
    /// Records the polls must still take before everything queued at the latest restart has
    /// come out of the queue; zero when the window is closed.
    private(set) var recordsAhead = 0

    /// Whether a rebalance queued before the latest restart may still wait in the queue.
    var isOpen: Bool { recordsAhead > 0 }

    /// A restart returned with `queued` entries (records, rebalances, logs) in the consumer
    /// queue. A later restart replaces an earlier one's count: what is left of the earlier
    /// queue is part of what the later one counts.
    mutating func restarted(queued: Int) {
        recordsAhead = max(0, queued)
    }

    /// A poll (outside any rebalance callback) returned `records` records, and left the queue
    /// empty or not.
    mutating func polled(records: Int, queueEmpty: Bool) {
        recordsAhead = queueEmpty ? 0 : max(0, recordsAhead - records)
    }
}
