import Runtime
import Testing

@Suite struct SlowBarrierTests {
    @Test func parsesMilliseconds() throws {
        #expect(try SlowBarrier(parsing: "150").delay == .milliseconds(150))
    }

    @Test(arguments: ["0", "-5", "10001", "1.5", "150ms", " 150"])
    func aBadValueNamesWhatIsAllowed(_ text: String) {
        let error = #expect(throws: ConfigurationError.self) { try SlowBarrier(parsing: text) }
        #expect(error?.description == "`EXACTLY_SLOW_BARRIER_MS` = `\(text)` is not allowed: a whole number of milliseconds from 1 to 10000")
    }

    @Test func holdsTheCallingThreadForItsDelay() {
        let started = ContinuousClock.now
        SlowBarrier(delay: .milliseconds(30)).hold()
        #expect(ContinuousClock.now - started >= .milliseconds(30))
    }
}
