import Checkpointing
import KafkaClient
import KeyedState
import Operators

/// Everything the processor keeps for one assigned input partition.
///
/// A class, so the hot path mutates `state` and `processor` in place: both are passed `inout`
/// side by side, which a struct held in a dictionary would only allow through a copy.
///
/// Two owners, one per group of properties: `state`, `processor`, `nextOffset` and
/// `firstOffsetRead` belong to the partition's ``ProcessingLane`` (its queue writes them per
/// record; the processing thread reads and resets them only while the lanes are quiesced);
/// `rollback` and `inFlight` belong to the processing thread.
final class PartitionRuntime: @unchecked Sendable {
    // @unchecked: see the class documentation.
    /// The lane that processes this partition's records.
    let lane: ProcessingLane
    /// The live state, written by every record.
    var state: PartitionState
    /// The pipeline instance for this partition (its in-memory indexes derive from `state`).
    var processor: PartitionProcessor
    /// The offset of the next record to read; `nil` until known (fresh start, nothing read).
    var nextOffset: Int64?
    /// Records below this offset were processed and committed before: their outputs are muted.
    let mutedUntil: Int64
    /// The offset of the first record read since assignment (where a fresh start rolls back to).
    var firstOffsetRead: Int64?
    /// Where an abort rolls back to: the last complete checkpoint's state and offset, or the
    /// state the partition was assigned with and the offset it started at (`nil` for a fresh
    /// start: then ``firstOffsetRead``).
    var rollback: (snapshot: PartitionSnapshot, offset: Int64?)
    /// The snapshot and offset captured for the checkpoint in flight.
    var inFlight: (snapshot: PartitionSnapshot, offset: Int64)?
    /// `<topic>/<partition>/`, the start of every output's ``SourceHeader`` value.
    let sourcePrefix: [UInt8]
    /// The replays the state's history went through (``ReplayFork``), recorded in each of its
    /// checkpoints and committed offsets.
    let forks: [ReplayFork]

    init(state: PartitionState, processor: PartitionProcessor, startOffset: Int64?, mutedUntil: Int64, forks: [ReplayFork] = [], lane: ProcessingLane) {
        self.lane = lane
        self.forks = forks
        sourcePrefix = SourceHeader.prefix(TopicPartition(processor.topic, processor.partition))
        var state = state
        var processor = processor
        processor.restore(from: state)
        rollback = (state.captureSnapshot(), startOffset)
        self.state = state
        self.processor = processor
        nextOffset = startOffset
        self.mutedUntil = mutedUntil
    }

    /// Lends `body` the processor, the state and the read position for a run of records: one
    /// access to each property for the run rather than one per record (class properties are
    /// checked for exclusive access at run time, each time).
    func withRecordPath<Failure: Error>(
        _ body: (inout PartitionProcessor, inout PartitionState, inout Int64?) throws(Failure) -> Void
    ) throws(Failure) {
        try body(&processor, &state, &nextOffset)
    }

    /// The offset an abort seeks back to, `nil` when nothing was read yet.
    var rollbackOffset: Int64? { rollback.offset ?? firstOffsetRead }

    /// Returns to the rollback point: state, in-memory indexes and read position. Call only
    /// while the lanes are quiesced.
    func rollBack() {
        state.restore(rollback.snapshot)
        processor.restore(from: state)
        nextOffset = rollbackOffset
        inFlight = nil
    }
}
