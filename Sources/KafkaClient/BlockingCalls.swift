import Dispatch

/// Runs blocking Kafka calls from async code without blocking Swift's cooperative thread pool.
///
/// The cooperative pool has one thread per core; a librdkafka call that waits on the network
/// there (commit, flush, poll, committed) would stall every other task. `run` performs the call
/// on a Dispatch worker thread instead and resumes the caller when it returns.
public enum BlockingCalls {
    private static let queue = DispatchQueue(label: "exactly.kafka.blocking", attributes: .concurrent)

    /// Performs `body` on a thread outside the cooperative pool and returns its result.
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try body() })
            }
        }
    }
}
