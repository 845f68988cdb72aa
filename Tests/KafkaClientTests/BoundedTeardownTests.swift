import Dispatch
import Testing

@testable import KafkaClient

/// A teardown that hangs (librdkafka's destroy, at times) must not hold its caller past the
/// deadline; one that finishes is waited for.
struct BoundedTeardownTests {
    @Test func aTeardownThatFinishesIsWaitedFor() {
        let ran = DispatchSemaphore(value: 0)
        #expect(BoundedTeardown.run(deadline: .seconds(10)) { ran.signal() })
        #expect(ran.wait(timeout: .now()) == .success, "it ran before run returned")
    }

    @Test func aTeardownThatHangsIsLeftAtTheDeadline() {
        let release = DispatchSemaphore(value: 0)
        let started = ContinuousClock.now
        let finished = BoundedTeardown.run(deadline: .milliseconds(200)) { release.wait() }
        let waited = ContinuousClock.now - started
        #expect(!finished)
        #expect(waited >= .milliseconds(200) && waited < .seconds(5), "\(waited)")
        release.signal()  // lets the left-behind thread end
    }

    @Test func destroyingAClientStaysWellInsideTheDeadline() throws {
        // An admin client that never reached a broker: its destroy is quick, not left behind.
        let started = ContinuousClock.now
        do {
            _ = try KafkaAdmin(configuration: KafkaConfiguration(bootstrapServers: ["127.0.0.1:9"]))
        }
        #expect(ContinuousClock.now - started < KafkaHandle.destroyDeadline)
    }
}
