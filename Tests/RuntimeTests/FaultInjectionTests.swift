#if canImport(Glibc)
import Glibc
#endif
import Runtime
import Synchronization
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
        let action = #expect(throws: ConfigurationError.self) { try FaultInjection(parsing: "afterCapture:2:nap") }
        #expect(action?.description.contains(":kill (the default) or :stop") == true)
        #expect(throws: ConfigurationError.self) { try FaultInjection(parsing: "afterCapture::stop") }
    }

    /// `:stop` freezes the process (SIGSTOP) instead of killing it: a long pause, after which
    /// it goes on as a zombie.
    @Test func killsByDefaultAndFreezesWhenAsked() throws {
        #expect(try FaultInjection(parsing: "afterCapture").action == .kill)
        #expect(try FaultInjection(parsing: "afterCapture:3").action == .kill)
        let freeze = try FaultInjection(parsing: "afterOffsetsSent:25:stop")
        #expect(freeze == FaultInjection(phase: .afterOffsetsSent, occurrence: 25, action: .stop))
        #expect(freeze.action.signal == SIGSTOP)
        #expect(FaultInjection.Action.kill.signal == SIGKILL)
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

    /// Counts how many ``Counted`` were freed.
    final class Tally: Sendable {
        let freed = Atomic<Int>(0)
    }

    /// An output with a reference count: a copy too many, or a release too many, shows.
    final class Counted: Sendable {
        let value: Int
        let tally: Tally
        init(_ value: Int, _ tally: Tally) {
            self.value = value
            self.tally = tally
        }
        deinit { tally.freed.add(1, ordering: .relaxed) }
    }

    @Test func aDrainHandsEachOutputOverOnceFreesTheRestAndKeepsItsCapacity() {
        let tally = Tally()
        var held = HeldBackOutputs<Counted>(capacityBytes: 1_000)
        for value in 1...4 { held.append(Counted(value, tally), size: 10) }
        var sent: [Int] = []
        #expect(throws: SendFailed.self) {
            try held.drain { (output) throws(SendFailed) in
                if output.value == 3 { throw SendFailed() }
                sent.append(output.value)
            }
        }
        #expect(sent == [1, 2])
        #expect(tally.freed.load(ordering: .relaxed) == 4, "each output freed once: sent, failed or dropped")
        #expect(held.outputs.isEmpty && held.bytes == 0)
        #expect(held.outputs.capacity >= 4, "the next epoch reuses the buffer")
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
