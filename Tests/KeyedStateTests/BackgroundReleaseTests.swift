import Foundation
import Synchronization
import Testing

@testable import KeyedState

@Suite struct BackgroundReleaseTests {
    final class Flag: Sendable {
        let raised = Atomic<Bool>(false)
        var isRaised: Bool { raised.load(ordering: .acquiring) }
    }

    /// Raises its flag when freed.
    final class Tracked: Sendable {
        let flag: Flag
        init(_ flag: Flag) { self.flag = flag }
        deinit { flag.raised.store(true, ordering: .releasing) }
    }

    @Test func anObjectHandedOverIsFreedSoonOnAThreadThatDoesNotPreemptOnWakeUp() async throws {
        let flag = Flag()
        BackgroundRelease.drop(Tracked(flag))
        let deadline = ContinuousClock.now + .seconds(10)
        while !flag.isRaised, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(flag.isRaised, "the release thread never dropped the object")
        #if os(Linux)
        let policy = BackgroundRelease.threadPolicy.load(ordering: .acquiring)
        #expect(policy == 3, "the release thread runs with scheduling policy \(policy), not SCHED_BATCH (3)")
        // A thread may end between the listing and the reading: its name is then skipped.
        let names = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").compactMap {
            try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        #expect(names.contains("exactly-release"), "threads: \(names)")
        #endif
    }
}
