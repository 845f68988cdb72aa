import KafkaClient
import KeyedState
import Operators

/// Everything the processor keeps for one assigned input partition.
///
/// A class, so the hot path mutates `state` and `processor` in place: both are passed `inout`
/// side by side, which a struct held in a dictionary would only allow through a copy.
final class PartitionRuntime {
    /// The live state, written by every record.
    var state: PartitionState
    /// The pipeline instance for this partition (its in-memory indexes derive from `state`).
    var processor: PartitionProcessor
    /// The offset of the next record to read; `nil` until known (fresh start, nothing read).
    var nextOffset: Int64?
    /// Records below this offset were processed and committed before: their outputs are muted.
    let mutedUntil: Int64
    /// Where an abort rolls back to: the last complete checkpoint's state and offset, or the
    /// state the partition was assigned with and the first offset read.
    var rollback: (snapshot: PartitionSnapshot, offset: Int64?)
    /// The snapshot and offset captured for the checkpoint in flight.
    var inFlight: (snapshot: PartitionSnapshot, offset: Int64)?
    /// `<topic>/<partition>/`, the start of every output's ``SourceHeader`` value.
    let sourcePrefix: [UInt8]

    init(state: PartitionState, processor: PartitionProcessor, startOffset: Int64?, mutedUntil: Int64) {
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

    /// Returns to the rollback point: state, in-memory indexes and read position.
    func rollBack() {
        state.restore(rollback.snapshot)
        processor.restore(from: state)
        nextOffset = rollback.offset
        inFlight = nil
    }
}
