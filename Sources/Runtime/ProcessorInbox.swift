import Dispatch
import KafkaClient
import Synchronization

/// Where work done off the processing thread reports back to it: the lanes' captures, the
/// checkpoint store's writes, the transaction's offset sends and commits, topic listings, reads
/// of committed offsets, and reads of log ranges.
final class ProcessorInbox: Sendable {
    /// One finished piece of background work.
    enum Report {
        /// A lane reached the barrier of checkpoint `id` and captured its partitions there.
        case laneCaptured(CheckpointID, LaneCapture)
        /// The store finished writing checkpoint `id` (its manifest is durable) or failed.
        case snapshotWritten(CheckpointID, Result<Void, any Error>)
        /// The offsets of checkpoint `id` were added to the transaction, or could not be.
        case offsetsSent(CheckpointID, Result<Void, any Error>)
        /// The transaction of checkpoint `id`, whose commit was issued at `issued`, committed
        /// or failed to.
        case committed(CheckpointID, issued: ContinuousClock.Instant, Result<Void, any Error>)
        /// The cluster's topic names, listed because the consumer reported a source topic missing.
        case topicsListed(Result<Set<String>, any Error>)
        /// A try of a background read of committed offsets (``CommittedOffsetsWait``), started
        /// at `tried`: the offsets of the partitions no transaction holds, and which are held.
        case committedOffsetsRead(CommittedOffsetsWait.Read, Result<GroupOffsets, any Error>, tried: ContinuousClock.Instant)
        /// A try (the `try`-th) of a read of the log range of a partition librdkafka stopped
        /// fetching, its position out of range (``StoppedFetchers``).
        case logRangeRead(StoppedFetchers.Read, try: Int, Result<LogRange, any Error>)
    }

    private let reports = Mutex<[Report]>([])
    private let signal = DispatchSemaphore(value: 0)

    /// Called on the thread that did the work.
    func post(_ report: Report) {
        reports.withLock { $0.append(report) }
        signal.signal()
    }

    /// Takes every report so far; with `wait`, first waits up to that long for one to arrive.
    func take(waiting wait: Duration? = nil) -> [Report] {
        if let wait, reports.withLock({ $0.isEmpty }) {
            _ = signal.wait(timeout: .now() + .nanoseconds(Int(wait.nanoseconds)))
        }
        return reports.withLock { reports in
            defer { reports.removeAll() }
            return reports
        }
    }
}
