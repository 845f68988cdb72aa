import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Drops the last references to large structures on a thread of its own, one that never takes
/// the CPU from the thread that hands them over.
///
/// A state map replaced by a fold, and the change logs folded into it, are freed by walking every
/// bucket and entry: milliseconds for a large state. The lane that replaces them at a capture
/// must not pay for that. It first handed them to a Dispatch utility worker, and a worker woken
/// from sleep takes the waking thread's CPU at once (Linux lets a wakee that slept longer than
/// the running thread preempt it), that is, in the middle of the lane's checkpoint barrier. This
/// thread runs as `SCHED_BATCH`, which Linux never lets preempt on wake-up: the lane keeps its CPU
/// until its time slice ends, and the freeing still gets its fair share of CPU time. In a
/// 3M-record run at a 100 ms interval (`perf record -e sched:sched_switch`) the utility workers
/// took the CPU of a runnable lane or processing thread 180 times; this thread took it 41 times,
/// each at the end of that thread's time slice.
///
/// The thread starts at the first hand-over and lives as long as the process.
enum BackgroundRelease {
    private static let pending = Mutex<[any Sendable]>([])
    private static let wake = DispatchSemaphore(value: 0)
    /// Started by the first hand-over (a static `let` is initialized once, on first use).
    private static let releaseThread: Void = startThread()
    /// The release thread's scheduling policy once it runs (`sched_getscheduler`), for tests.
    static let threadPolicy = Atomic<Int32>(-1)

    /// Keeps `object` until the release thread drops it, soon.
    static func drop(_ object: any Sendable) {
        pending.withLock { $0.append(object) }
        _ = releaseThread
        wake.signal()
    }

    private static func startThread() {
        #if canImport(Glibc)
        var thread = pthread_t()
        let created = pthread_create(&thread, nil, { _ in
            BackgroundRelease.nameThisThread("exactly-release")
            var parameters = sched_param()
            _ = sched_setscheduler(0, 3 /* SCHED_BATCH: not exported to Swift */, &parameters)
            BackgroundRelease.threadPolicy.store(sched_getscheduler(0), ordering: .releasing)
            BackgroundRelease.releaseForever()
        }, nil)
        if created == 0 {
            pthread_detach(thread)
            return
        }
        #endif
        // No thread of our own (or no pthreads): a Dispatch worker will do, preemption and all.
        DispatchQueue(label: "exactly.state.release").async { releaseForever() }
    }

    #if canImport(Glibc)
    /// Names the calling thread for `top -H`, `perf` and `/proc` (`pthread_setname_np` is not
    /// exported to Swift; its Linux implementation writes this file too).
    private static func nameThisThread(_ name: String) {
        let file = open("/proc/thread-self/comm", O_WRONLY)
        guard file >= 0 else { return }
        defer { close(file) }
        _ = name.withCString { write(file, $0, strlen($0)) }
    }
    #endif

    private static func releaseForever() -> Never {
        while true {
            wake.wait()
            // Dropped here, outside the lock, so that hand-overs never wait for the freeing.
            var batch: [any Sendable] = []
            pending.withLock { swap(&batch, &$0) }
            batch.removeAll()
        }
    }
}
