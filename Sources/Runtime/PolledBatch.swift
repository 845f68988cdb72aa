import KafkaClient

/// The records of one poll, shared by the lanes that process runs of them, and freed by the
/// processing thread once every lane is done with them.
///
/// Freeing a batch frees each record's key and value, which the processing thread allocated:
/// when the last lane to finish freed them, that was about 6% of a lane's CPU (the lane is the
/// bottleneck at one lane per 2 cores, docs/RUNTIME.md), and each free was a free into another
/// thread's allocator cache. The processing thread holds every batch it handed over
/// (``Processor``'s retiring list) and lets go of one when nothing else refers to it.
final class PolledBatch: Sendable {
    let records: [ConsumedRecord]

    init(_ records: [ConsumedRecord]) {
        self.records = records
    }
}
