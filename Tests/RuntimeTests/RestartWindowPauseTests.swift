import KafkaClient
@testable import Runtime
import Testing

/// ``RestartWindowPause`` on its own: which partitions the loop pauses while a checkpoint's
/// offsets wait for the restart window, and which it resumes afterwards.
@Suite struct RestartWindowPauseTests {
    let p0 = TopicPartition("orders", 0)
    let p1 = TopicPartition("orders", 1)
    let p2 = TopicPartition("orders", 2)
    let p3 = TopicPartition("orders", 3)

    @Test func pausesTheFetchingPartitionsOnceAndResumesThem() {
        var pause = RestartWindowPause()
        let first = pause.toPause(assigned: [p2, p0, p1], heldElsewhere: { _ in false })
        #expect(first == [p0, p1, p2])
        pause.pausedNow(first)
        #expect(pause.toPause(assigned: [p0, p1, p2], heldElsewhere: { _ in false }).isEmpty, "not paused twice")
        #expect(pause.takeForResume(assigned: { _ in true }, heldElsewhere: { _ in false }) == [p0, p1, p2])
        #expect(pause.isEmpty)
    }

    /// A partition held for its committed offsets, waiting for a seek, or stopped is paused (or
    /// stopped) for its own reason: neither paused nor resumed here.
    @Test func leavesPartitionsHeldForAnotherReasonAlone() {
        var pause = RestartWindowPause()
        let pausing = pause.toPause(assigned: [p0, p1, p2]) { $0 == p1 }
        #expect(pausing == [p0, p2])
        pause.pausedNow(pausing)
        // p2's seek was refused meanwhile: its pause is the seek's now.
        #expect(pause.takeForResume(assigned: { _ in true }, heldElsewhere: { $0 == p2 }) == [p0])
    }

    /// A revocation or assignment (RebalanceDispatch lifts pauses), a seek that resumed, or a
    /// restart lifts the pause: such a partition fetches again, so it is paused again while
    /// offsets still wait, and one revoked is never resumed.
    @Test func aPauseLiftedElsewhereIsPausedAgainAndARevokedPartitionNotResumed() {
        var pause = RestartWindowPause()
        pause.pausedNow(pause.toPause(assigned: [p0, p1, p2], heldElsewhere: { _ in false }))
        pause.lifted([p1])  // sought (an abort's rollback) or restarted
        #expect(pause.toPause(assigned: [p0, p1, p2, p3], heldElsewhere: { _ in false }) == [p1, p3], "lifted and newly assigned")
        pause.lifted([p2])  // revoked
        pause.pausedNow([p1, p3])
        #expect(pause.takeForResume(assigned: { $0 != p2 }, heldElsewhere: { _ in false }) == [p0, p1, p3])
        #expect(pause.isEmpty)
    }

    /// Revoked but still remembered (its revocation not heard yet): not resumed, as it is not
    /// assigned.
    @Test func resumesOnlyWhatIsStillAssigned() {
        var pause = RestartWindowPause()
        pause.pausedNow([p0, p1])
        #expect(pause.takeForResume(assigned: { $0 == p1 }, heldElsewhere: { _ in false }) == [p1])
        #expect(pause.isEmpty, "the rest is forgotten")
    }

    /// A pause librdkafka refused is neither asked again each loop nor resumed (in librdkafka
    /// 2.0.2 resuming a partition that is not paused drops its queued records and fetches them
    /// again: read twice), until something lifts or changes the partition.
    @Test func aRefusedPauseIsNotAskedAgainNorResumed() {
        let (p0, p1) = (TopicPartition("orders", 0), TopicPartition("orders", 1))
        var pause = RestartWindowPause()
        pause.pausedNow([p0])
        pause.pauseRefused([p1])
        #expect(!pause.isEmpty)
        #expect(pause.toPause(assigned: [p0, p1], heldElsewhere: { _ in false }).isEmpty)
        #expect(pause.takeForResume(assigned: { _ in true }, heldElsewhere: { _ in false }) == [p0])
        #expect(pause.isEmpty)
        pause.pauseRefused([p1])
        pause.lifted([p1])
        #expect(pause.toPause(assigned: [p1], heldElsewhere: { _ in false }) == [p1], "asked again once something changed it")
    }
}
