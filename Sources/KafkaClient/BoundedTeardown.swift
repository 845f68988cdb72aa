import Dispatch

/// Runs a teardown that could hang on a thread of its own, and waits for it only so long.
///
/// `rd_kafka_destroy` joins librdkafka's threads, and some librdkafka releases never let them
/// end: a consumer whose topic was deleted while it ran hung in destroy for good (found with
/// librdkafka 2.0.2: `exactly run` finished its final checkpoint after SIGTERM and then never
/// exited; librdkafka issue #4362 describes the same hang). Everything was committed by then,
/// so the process must still get to exit: past the deadline the teardown is left running, its
/// memory and threads for the process exit to reclaim.
enum BoundedTeardown {
    /// Runs `teardown` on its own thread; returns `true` when it finished within `deadline`.
    static func run(deadline: Duration, _ teardown: @escaping @Sendable () -> Void) -> Bool {
        let finished = DispatchSemaphore(value: 0)
        // A serial queue of its own runs on an overcommit thread made on demand: a hung
        // teardown holds that thread, never one of a fixed pool.
        DispatchQueue(label: "exactly.kafka.teardown").async {
            teardown()
            finished.signal()
        }
        let (seconds, attoseconds) = deadline.components
        let nanoseconds = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
        return finished.wait(timeout: .now() + .nanoseconds(nanoseconds)) == .success
    }
}
