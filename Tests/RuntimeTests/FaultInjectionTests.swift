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

@Suite struct HeldBackOutputsTests {
    @Test func fillsToItsBoundAndDrainsInOrder() {
        var held = HeldBackOutputs<Int>(capacityBytes: 250)
        held.append(1, size: 100)
        held.append(2, size: 100)
        #expect(held.hasRoom)
        held.append(3, size: 100)
        #expect(!held.hasRoom)
        #expect(held.drain() == [1, 2, 3])
        #expect(held.hasRoom)
        #expect(held.outputs.isEmpty)
        held.append(4, size: 10)
        held.discard()
        #expect(held.drain().isEmpty)
    }
}
