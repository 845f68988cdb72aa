import CRdKafka
import Dispatch
import Synchronization

/// Wakes librdkafka's fetcher when the consumer's fetch-ahead queue runs low.
///
/// Once the queue holds `queued.min.messages` records, librdkafka stops fetching and looks at
/// the queue again only when its broker thread next wakes: on a request's answer, or after up
/// to a second (librdkafka before 2.1; `fetch.queue.backoff.ms`, also a second by default,
/// after). A consumer that drains the queue in less than that second waits on an empty queue
/// meanwhile: the raw pipe of `scripts/bench-pipeline.sh` waited for 2.7-4.0 s of its 7.2 s runs,
/// and the processor at a 1 s checkpoint interval ran at 606-610k records/s instead of 742-810k.
///
/// While the queue holds less than `lowWater` records and is draining (shorter than at the
/// previous look, `interval` earlier), this asks the brokers for the latest offsets of the
/// assigned partitions (`rd_kafka_offsets_for_times`, one ListOffsets request per leader). An
/// idle consumer sends nothing. Sending the request wakes each leader's broker thread,
/// which then sees the queue has room and fetches again. The answers are not used. In a 5M-record
/// raw pipe that took 17 requests, and the pipe ran at 1.70-1.79M records/s instead of 683-693k.
final class FetchWakeup: Sendable {
    private let stopRequested = Atomic<Bool>(false)
    private let stopSignal = DispatchSemaphore(value: 0)
    private let finished = DispatchGroup()

    /// Starts waking the fetcher of `handle`, whose records arrive in `queue`.
    init(handle: KafkaHandle, queue: ConsumerQueue, lowWater: Int, interval: Duration) {
        let intervalNanoseconds = Int(interval.components.seconds) * 1_000_000_000 + Int(interval.components.attoseconds / 1_000_000_000)
        finished.enter()
        // A serial queue of its own runs on an overcommit thread: the loop blocks, and must not
        // take a thread from a pool that others wait on.
        // The loop holds `self` until ``stop()`` ends it.
        DispatchQueue(label: "exactly.kafka.fetch-wakeup").async { [self] in
            defer { finished.leave() }
            var previousLength = 0
            while stopSignal.wait(timeout: .now() + .nanoseconds(intervalNanoseconds)) == .timedOut {
                if stopRequested.load(ordering: .acquiring) { return }
                let length = rd_kafka_queue_length(queue.pointer)
                defer { previousLength = length }
                // Only while the queue drains: an idle consumer (an empty queue that stays
                // empty) or one being refilled sends nothing.
                guard length < lowWater, length < previousLength else { continue }
                Self.askForLatestOffsets(handle.pointer, timeoutMilliseconds: Self.requestTimeoutMilliseconds)
            }
        }
    }

    /// How long one request may take; ``stop()`` waits for it at most this long.
    static let requestTimeoutMilliseconds: Int32 = 500

    /// Stops waking the fetcher and waits until the last request has returned. Call it before
    /// the consumer closes. Later calls return at once.
    func stop() {
        if !stopRequested.exchange(true, ordering: .acquiringAndReleasing) {
            stopSignal.signal()
        }
        finished.wait()
    }

    private static func askForLatestOffsets(_ pointer: OpaquePointer, timeoutMilliseconds: Int32) {
        var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        guard rd_kafka_assignment(pointer, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        guard list.pointee.cnt > 0 else { return }
        for index in 0..<Int(list.pointee.cnt) {
            list.pointee.elems[index].offset = -1  // the latest offset: any answer will do
        }
        // The outcome does not matter: the request was sent, and the sending woke the fetcher.
        _ = rd_kafka_offsets_for_times(pointer, list, timeoutMilliseconds)
    }
}
