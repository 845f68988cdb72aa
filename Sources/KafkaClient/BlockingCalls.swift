import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs blocking Kafka calls from async code without blocking Swift's cooperative thread pool.
///
/// The cooperative pool has one thread per core; a librdkafka call that waits on the network
/// there (commit, flush, poll, committed) would stall every other task. `run` performs the call
/// on a thread of its own instead and resumes the caller when it returns.
///
/// Each call gets its own serial queue. Serial queues run on libdispatch's *overcommit* threads,
/// which are created on demand; a concurrent or global queue runs on a pool about as wide as the
/// core count, so blocking calls that wait on each other (a processor running while another
/// call waits for its output) could take every thread and deadlock.
public enum BlockingCalls {
    /// Performs `body` on a thread outside the cooperative pool and returns its result.
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue(label: "exactly.kafka.blocking").async {
                continuation.resume(with: Result { try body() })
            }
        }
    }

    /// Blocks the calling thread for `duration`; a signal does not cut the wait short. For the
    /// test switches that hold a Dispatch thread (a lane, the processing thread, a restart),
    /// never for the cooperative pool.
    public static func blockThread(for duration: Duration) {
        let (seconds, attoseconds) = duration.components
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0, errno == EINTR { request = remaining }
    }
}
