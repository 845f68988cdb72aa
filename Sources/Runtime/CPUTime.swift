#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// CPU time used so far, read from the kernel's clocks.
enum CPUTime {
    /// By every thread of the process.
    static func ofProcess() -> Duration {
        read(CLOCK_PROCESS_CPUTIME_ID)
    }

    /// By the calling thread: unlike the wall clock, it stops while the thread waits for a CPU.
    static func ofThisThread() -> Duration {
        read(CLOCK_THREAD_CPUTIME_ID)
    }

    private static func read(_ clock: clockid_t) -> Duration {
        var time = timespec()
        clock_gettime(clock, &time)
        return .seconds(time.tv_sec) + .nanoseconds(time.tv_nsec)
    }
}
