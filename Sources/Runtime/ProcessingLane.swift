import CoreMetrics
import Dispatch
import KafkaClient
import Operators
import Synchronization

/// A share of the assigned partitions, processed on its own serial queue, so that partitions
/// run on several cores while the processing thread polls, checkpoints and commits.
///
/// State is per partition, so lanes share nothing but the producer (thread-safe). A
/// partition belongs to one lane for as long as it is assigned, so its records are processed
/// in offset order and its outputs are produced in that order.
///
/// Ownership: the lane's partitions (state, pipeline, read position), its held-back outputs and
/// its counters are touched only by work on the lane's queue, or by the processing thread after
/// ``quiesce(_:)`` returned and before it submits more work. The processing thread captures,
/// rolls back and counts only in that window.
final class ProcessingLane: @unchecked Sendable {
    // @unchecked: see the class documentation; what the processing thread reads at any time
    // (backlog, held bytes, failure) is atomic or behind a mutex.

    /// The most records waiting in a lane before the processing thread stops polling: enough
    /// to keep the lane busy through a commit round trip, few enough that a capture (which
    /// waits for the backlog) is not delayed by more than a few milliseconds.
    static let backlogLimit = 8_192

    /// The partitions processed here (kept by the processing thread, to balance new ones).
    var partitionCount = 0

    private let queue: DispatchQueue
    private let producer: KafkaProducer
    private let sinkTopic: String
    private let deadLetterTopic: String
    private let heldCapacityBytes: Int

    private let backlog = Atomic<Int>(0)
    private let heldBytes = Atomic<Int>(0)
    private let failureMessage = Mutex<String?>(nil)

    // Confined to the queue (see the class documentation).
    private var transactionOpen = false
    private var held: HeldBackOutputs<ProducerRecord>
    private var emissions: [Emission] = []
    private(set) var recordsProduced = 0
    /// `exactly_records_produced_total`, counted per run of records, not per record.
    private let producedCounter: Counter
    private(set) var firstOutputAt: ContinuousClock.Instant?

    /// Lane `index`, producing with `producer`; it may hold `heldCapacityBytes` of outputs
    /// while no transaction is open.
    init(index: Int, producer: KafkaProducer, sinkTopic: String, deadLetterTopic: String, heldCapacityBytes: Int, producedCounter: Counter) {
        self.producedCounter = producedCounter
        queue = DispatchQueue(label: "exactly.lane.\(index)")
        self.producer = producer
        self.sinkTopic = sinkTopic
        self.deadLetterTopic = deadLetterTopic
        self.heldCapacityBytes = heldCapacityBytes
        held = HeldBackOutputs(capacityBytes: heldCapacityBytes)
    }

    /// Whether the processing thread may hand this lane more records: its backlog is short and
    /// its held-back outputs fit (a commit in flight costs throughput, never memory).
    var hasRoom: Bool {
        backlog.load(ordering: .relaxed) < Self.backlogLimit && heldBytes.load(ordering: .relaxed) < heldCapacityBytes
    }

    /// Why the lane stopped, once it has: it then skips all further work.
    var failure: String? {
        failureMessage.withLock { $0 }
    }

    // MARK: Work handed over by the processing thread

    /// Processes `records`, consecutive records of `partition` (one of this lane's), in order.
    func submit(_ records: ArraySlice<ConsumedRecord>, of partition: PartitionRuntime) {
        backlog.add(records.count, ordering: .relaxed)
        queue.async { [self] in
            defer { backlog.subtract(records.count, ordering: .relaxed) }
            countingSends {
                unlessFailed { () throws(ProcessorFailure) in try process(records, of: partition) }
            }
        }
    }

    /// The next epoch's transaction is open: sends the held outputs into it, then sends each
    /// output as it is made.
    func openTransaction() {
        queue.async { [self] in
            countingSends {
                unlessFailed { () throws(ProcessorFailure) in
                    transactionOpen = true
                    defer { heldBytes.store(held.bytes, ordering: .relaxed) }
                    try held.drain { (record) throws(ProcessorFailure) in try send(record) }
                }
            }
        }
    }

    /// Runs `work` (on the lane's queue) and reports the outputs it sent to the metrics.
    private func countingSends(_ work: () -> Void) {
        let before = recordsProduced
        work()
        if recordsProduced > before { producedCounter.increment(by: recordsProduced - before) }
    }

    /// Waits until the lane has done everything handed to it, then runs `body` on its queue.
    func quiesce(_ body: (ProcessingLane) -> Void = { _ in }) {
        queue.sync { body(self) }
    }

    /// From now on outputs belong to the next epoch: they are held until it opens.
    /// Call inside ``quiesce(_:)``.
    func closeTransaction() {
        transactionOpen = false
    }

    /// The epoch was aborted: its held outputs will be made again. Call inside ``quiesce(_:)``.
    func discardEpoch() {
        transactionOpen = false
        held.discard()
        heldBytes.store(0, ordering: .relaxed)
    }

    /// Runs `work` unless the lane failed already; a failure of `work` becomes the lane's.
    private func unlessFailed(_ work: () throws(ProcessorFailure) -> Void) {
        guard failure == nil else { return }
        do {
            try work()
        } catch {
            failureMessage.withLock { $0 = $0 ?? error.message }
        }
    }

    // MARK: The record path

    private func process(_ records: ArraySlice<ConsumedRecord>, of partition: PartitionRuntime) throws(ProcessorFailure) {
        for consumed in records {
            if partition.firstOffsetRead == nil { partition.firstOffsetRead = consumed.offset }
            let record = Record(
                key: consumed.key,
                value: consumed.value,
                headers: consumed.headers.map { RecordHeader(name: $0.name, value: $0.value ?? []) },
                topic: consumed.topicPartition.topic,
                partition: consumed.topicPartition.partition,
                offset: consumed.offset,
                timestamp: consumed.timestampMilliseconds ?? 0
            )
            emissions.removeAll(keepingCapacity: true)
            do {
                try partition.processor.process(record, state: &partition.state, into: &emissions)
            } catch {
                throw ProcessorFailure(message: "\(error)")
            }
            partition.nextOffset = consumed.offset + 1
            guard consumed.offset >= partition.mutedUntil else { continue }
            for emission in emissions {
                let output = emission.record
                var headers = output.headers.map { KafkaHeader($0.name, $0.value) }
                headers.append(KafkaHeader(SourceHeader.name, SourceHeader.value(prefix: partition.sourcePrefix, offset: consumed.offset)))
                let produced = ProducerRecord(
                    topic: emission.isDeadLetter ? deadLetterTopic : sinkTopic,
                    partition: output.partition,
                    key: output.key,
                    value: output.value,
                    headers: headers,
                    timestampMilliseconds: output.timestamp
                )
                if transactionOpen {
                    try send(produced)
                } else {
                    held.append(consume produced, size: output.value.count + (output.key?.count ?? 0) + 64)
                }
            }
        }
        if !transactionOpen { heldBytes.store(held.bytes, ordering: .relaxed) }
    }

    private func send(_ record: ProducerRecord) throws(ProcessorFailure) {
        do {
            try producer.send(record)
        } catch {
            // The transaction cannot take this record: stop; recovery redoes the epoch.
            throw ProcessorFailure(message: "producing to \(record.topic) failed: \(error). The open transaction is aborted; restart to recover from the last checkpoint.")
        }
        if firstOutputAt == nil { firstOutputAt = .now }
        recordsProduced += 1
    }
}
