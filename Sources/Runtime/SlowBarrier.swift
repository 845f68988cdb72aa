import KafkaClient
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Holds the first lane at each checkpoint barrier for a while, for tests of what happens while
/// a capture is pending: `EXACTLY_SLOW_BARRIER_MS=<n>` makes lane 0 wait `n` milliseconds when
/// it reaches a barrier, before it captures. The other lanes capture at once and go on with
/// the records behind their barriers, holding those outputs for the next transaction.
///
/// That is the window a revocation must handle with care: the checkpoint under way does not
/// hold the records processed behind its barriers, so giving partitions up takes one more
/// checkpoint. Under load the window is a lane's head start on the slowest one, a small part
/// of each checkpoint interval; `scripts/rebalance-test.sh` needs its rebalances to land in it
/// every time, not now and then. With a single lane the switch holds that lane and nothing goes
/// on past a barrier. The hold counts in the stall statistics.
public struct SlowBarrier: Sendable, Equatable {
    /// How long lane 0 waits at each barrier.
    public let delay: Duration

    /// A switch that holds lane 0 for `delay` at each barrier (1 ms to 10 s).
    public init(delay: Duration) {
        precondition(delay >= .milliseconds(1) && delay <= .seconds(10), "a slow barrier holds 1 ms to 10 s, not \(delay)")
        self.delay = delay
    }

    /// Parses `<n>` (milliseconds, 1 to 10000), naming what is allowed when the text is wrong.
    public init(parsing text: String) throws(ConfigurationError) {
        guard let milliseconds = Int(text), (1...10_000).contains(milliseconds) else {
            throw ConfigurationError(key: "EXACTLY_SLOW_BARRIER_MS", value: text, allowed: "a whole number of milliseconds from 1 to 10000")
        }
        self.init(delay: .milliseconds(milliseconds))
    }

    /// Blocks the calling thread (a lane's Dispatch thread, never the cooperative pool) for
    /// ``delay``.
    public func hold() {
        BlockingCalls.blockThread(for: delay)
    }

    /// The switch the environment asks for, or `nil` when `EXACTLY_SLOW_BARRIER_MS` is not set.
    public static func fromEnvironment() throws(ConfigurationError) -> SlowBarrier? {
        guard let text = getenv("EXACTLY_SLOW_BARRIER_MS").map({ String(cString: $0) }), !text.isEmpty else { return nil }
        return try SlowBarrier(parsing: text)
    }
}
