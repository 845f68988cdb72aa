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
/// and the processor at a 1 s checkpoint interval ran at 597-615k records/s instead of 844-859k.
///
/// Every `interval` this looks at the queue. When it holds less than `lowWater` records and an
/// assigned partition has records beyond the consumer's position (the high watermark librdkafka
/// last saw), it asks the brokers for the latest offsets of the assignment
/// (`rd_kafka_offsets_for_times`, one ListOffsets request per leader) and ignores the answer:
/// sending the request wakes each leader's broker thread, which sees the room and fetches again.
/// A 5M-record raw pipe needed 17 requests and ran at 1.70-1.79M records/s instead of 683-693k.
///
/// A consumer that has caught up sends nothing. One that looks behind but takes no records (the
/// records past its position belong to a transaction still open, under `read_committed`)
/// asks ever less often, down to once a second, librdkafka's own pace; the first record it
/// takes brings it back to every `interval`.
final class FetchWakeup: Sendable {
    private let stopRequested = Atomic<Bool>(false)
    private let stopSignal = DispatchSemaphore(value: 0)
    private let finished = DispatchGroup()
    /// Records the consumer has handed out, counted by ``recordsTaken(_:)``.
    private let taken = Atomic<Int>(0)

    /// The longest pause between two requests while nothing is taken.
    static let slowestInterval: Duration = .seconds(1)
    /// How long one request may take; ``stop()`` waits for it at most this long.
    static let requestTimeoutMilliseconds: Int32 = 500

    /// Starts waking the fetcher of `handle`, whose records arrive in `queue`.
    init(handle: KafkaHandle, queue: ConsumerQueue, lowWater: Int, interval: Duration) {
        finished.enter()
        // A serial queue of its own runs on an overcommit thread: the loop blocks, and must not
        // take a thread from a pool that others wait on. The loop holds `self` until ``stop()``.
        DispatchQueue(label: "exactly.kafka.fetch-wakeup").async { [self] in
            defer { finished.leave() }
            var pause = interval
            var nextRequest = ContinuousClock.now
            var takenAtLastLook = 0
            while stopSignal.wait(timeout: .now() + .milliseconds(Int(interval.milliseconds))) == .timedOut {
                if stopRequested.load(ordering: .acquiring) { return }
                let takenNow = taken.load(ordering: .relaxed)
                let tookRecords = takenNow != takenAtLastLook
                takenAtLastLook = takenNow
                if tookRecords { pause = interval }
                guard rd_kafka_queue_length(queue.pointer) < lowWater, ContinuousClock.now >= nextRequest,
                    Self.isBehind(handle.pointer)
                else { continue }
                Self.askForLatestOffsets(handle.pointer)
                if !tookRecords { pause = min(pause * 2, Self.slowestInterval) }
                nextRequest = ContinuousClock.now + pause
            }
        }
    }

    /// Tells the wake-ups that the consumer handed out `count` records.
    func recordsTaken(_ count: Int) {
        taken.add(count, ordering: .relaxed)
    }

    /// Stops waking the fetcher and waits until the last request has returned. Call it before
    /// the consumer closes. Later calls return at once.
    func stop() {
        if !stopRequested.exchange(true, ordering: .acquiringAndReleasing) {
            stopSignal.signal()
        }
        finished.wait()
    }

    /// Whether an assigned partition has records past the consumer's position, as far as
    /// librdkafka knows from its last fetch (a partition not fetched yet counts as behind).
    private static func isBehind(_ pointer: OpaquePointer) -> Bool {
        NativePartitionList.withAssignment(of: pointer) { list in
            guard rd_kafka_position(pointer, list) == RD_KAFKA_RESP_ERR_NO_ERROR else { return true }
            for index in 0..<Int(list.pointee.cnt) {
                let partition = list.pointee.elems[index]
                var low: Int64 = 0
                var high: Int64 = 0
                guard rd_kafka_get_watermark_offsets(pointer, partition.topic, partition.partition, &low, &high) == RD_KAFKA_RESP_ERR_NO_ERROR,
                    high >= 0, partition.offset >= 0
                else { return true }
                if partition.offset < high { return true }
            }
            return false
        } ?? false
    }

    private static func askForLatestOffsets(_ pointer: OpaquePointer) {
        _ = NativePartitionList.withAssignment(of: pointer) { list in
            for index in 0..<Int(list.pointee.cnt) {
                list.pointee.elems[index].offset = -1  // the latest offset: any answer will do
            }
            // The outcome does not matter: the request was sent, and the sending woke the fetcher.
            return rd_kafka_offsets_for_times(pointer, list, requestTimeoutMilliseconds)
        }
    }
}
