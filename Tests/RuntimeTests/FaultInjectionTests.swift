import Runtime
import Testing

@Suite struct FaultInjectionTests {
    @Test func crashesAtTheNamedOccurrenceOnly() throws {
        var injection = try FaultInjection(parsing: "afterManifestDurable:2")
        let decisions = [
            injection.shouldCrash(at: .afterCapture),
            injection.shouldCrash(at: .afterManifestDurable),
            injection.shouldCrash(at: .afterManifestDurable),
            injection.shouldCrash(at: .afterManifestDurable),
        ]
        #expect(decisions == [false, false, true, false])
    }

    @Test func badSwitchNamesTheAllowedPhases() {
        let error = #expect(throws: ConfigurationError.self) { try FaultInjection(parsing: "afterLunch") }
        #expect(error?.description.contains("afterCapture, afterOffsetsSent, afterManifestDurable, afterCommitSent, afterCommitReturned") == true)
        #expect(throws: ConfigurationError.self) { try FaultInjection(parsing: "afterCapture:0") }
    }
}

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

@Suite struct HeldBackOutputsTests {
    struct SendFailed: Error {}

    func drained(_ held: inout HeldBackOutputs<Int>) -> [Int] {
        var sent: [Int] = []
        held.drain { sent.append(copy $0) }
        return sent
    }

    @Test func aFailedSendStopsTheDrainAndTheRestIsForgotten() {
        var held = HeldBackOutputs<Int>(capacityBytes: 1_000)
        for output in 1...4 { held.append(output, size: 10) }
        var sent: [Int] = []
        #expect(throws: SendFailed.self) {
            try held.drain { (output) throws(SendFailed) in
                if output == 3 { throw SendFailed() }
                sent.append(copy output)
            }
        }
        #expect(sent == [1, 2])
        #expect(held.outputs.isEmpty && held.bytes == 0, "an aborted epoch's outputs are made again, never sent late")
    }

    @Test func fillsToItsBoundAndDrainsInOrder() {
        var held = HeldBackOutputs<Int>(capacityBytes: 250)
        held.append(1, size: 100)
        held.append(2, size: 100)
        #expect(held.hasRoom)
        held.append(3, size: 100)
        #expect(!held.hasRoom)
        #expect(drained(&held) == [1, 2, 3])
        #expect(held.hasRoom)
        #expect(held.outputs.isEmpty)
        held.append(4, size: 10)
        held.discard()
        #expect(drained(&held).isEmpty)
    }
}
