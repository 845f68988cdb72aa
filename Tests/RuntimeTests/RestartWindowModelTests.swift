@testable import Runtime
import Testing

/// ``RestartWindow`` on its own: when what a restart left in the consumer queue has surely
/// been served.
@Suite struct RestartWindowModelTests {
    @Test func aRestartThatFindsTheQueueEmptyOpensNoWindow() {
        var window = RestartWindow()
        window.restarted(queued: 0)
        #expect(!window.isOpen)
    }

    /// The queue held three entries, one of them maybe a revocation: two records polled may
    /// both have been ahead of it; the third cannot have been.
    @Test func theWindowClosesOnceThePollsTookAsManyRecordsAsTheQueueHeld() {
        var window = RestartWindow()
        window.restarted(queued: 3)
        window.polled(records: 0, queueEmpty: false)
        window.polled(records: 2, queueEmpty: false)
        #expect(window.isOpen)
        window.polled(records: 1, queueEmpty: false)
        #expect(!window.isOpen)
    }

    @Test func aPollThatLeavesTheQueueEmptyClosesTheWindow() {
        var window = RestartWindow()
        window.restarted(queued: 5_000)
        window.polled(records: 0, queueEmpty: true)
        #expect(!window.isOpen)
    }

    /// What is left of an earlier restart's queue is part of what a later restart finds.
    @Test func aLaterRestartCountsAfresh() {
        var window = RestartWindow()
        window.restarted(queued: 10)
        window.polled(records: 8, queueEmpty: false)
        window.restarted(queued: 4)
        window.polled(records: 3, queueEmpty: false)
        #expect(window.isOpen)
        window.polled(records: 1, queueEmpty: false)
        #expect(!window.isOpen)
        window.restarted(queued: 2)
        #expect(window.isOpen, "a restart after the window closed opens it again")
    }
}
