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
/// ``quiesce(_:)`` returned and before it submits more work. The processing thread rolls back
/// and counts only in that window; a capture needs no such window, it runs on the lane's queue
/// as a barrier between two records (``barrier(capturing:report:)``).
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
    /// Whether outputs carry the ``SourceHeader`` (`sink.source_header`).
    private let stampsSource: Bool
    private let heldCapacityBytes: Int
    private let slowBarrier: SlowBarrier?
    /// To say so plainly when a send fails because a newer process took over (`nil` in tests).
    private let identity: InstanceIdentity?

    private let backlog = Atomic<Int>(0)
    private let heldBytes = Atomic<Int>(0)
    private let failureMessage = Mutex<String?>(nil)

    // Confined to the queue (see the class documentation).
    private var transactionOpen = false
    private var held: HeldBackOutputs<HeldOutput>
    /// The sink and dead-letter topics as the producer resolved them (at their first output).
    private var sinkHandle: ProducerTopic?
    private var deadLetterHandle: ProducerTopic?
    private var emissions: [Emission] = []
    private(set) var recordsProduced = 0
    /// `exactly_records_produced_total`, counted per run of records, not per record.
    private let producedCounter: Counter
    private(set) var firstOutputAt: ContinuousClock.Instant?

    /// Lane `index`, producing with `producer`; it may hold `heldCapacityBytes` of outputs
    /// while no transaction is open.
    init(
        index: Int, producer: KafkaProducer, sinkTopic: String, deadLetterTopic: String, stampsSource: Bool = true,
        heldCapacityBytes: Int, producedCounter: Counter, slowBarrier: SlowBarrier? = nil, identity: InstanceIdentity? = nil
    ) {
        self.slowBarrier = slowBarrier
        self.identity = identity
        self.producedCounter = producedCounter
        queue = DispatchQueue(label: "exactly.lane.\(index)")
        self.producer = producer
        self.sinkTopic = sinkTopic
        self.deadLetterTopic = deadLetterTopic
        self.stampsSource = stampsSource
        self.heldCapacityBytes = heldCapacityBytes
        held = HeldBackOutputs(capacityBytes: heldCapacityBytes)
    }

    /// Whether the processing thread may hand this lane more records: its backlog is short and
    /// its held-back outputs fit (a commit in flight costs throughput, never memory).
    var hasRoom: Bool {
        backlog.load(ordering: .relaxed) < Self.backlogLimit && heldBytes.load(ordering: .relaxed) < heldCapacityBytes
    }

    /// Records handed over and not processed yet.
    var backlogCount: Int { backlog.load(ordering: .relaxed) }

    /// Why the lane stopped, once it has: it then skips all further work.
    var failure: String? {
        failureMessage.withLock { $0 }
    }

    // MARK: Work handed over by the processing thread

    /// Processes `batch.records[range]`, consecutive records of `partition` (one of this
    /// lane's), in order.
    func submit(_ range: Range<Int>, of batch: PolledBatch, of partition: PartitionRuntime) {
        backlog.add(range.count, ordering: .relaxed)
        queue.async { [self] in
            defer { backlog.subtract(range.count, ordering: .relaxed) }
            countingSends {
                unlessFailed { () throws(ProcessorFailure) in try process(batch.records[range], of: partition) }
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
                    try held.drain { (output) throws(ProcessorFailure) in
                        try send(output.record, isDeadLetter: output.isDeadLetter, sourcePrefix: output.sourcePrefix, sourceOffset: output.sourceOffset)
                    }
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

    /// A checkpoint barrier, queued behind the records handed over so far: every record before it
    /// belongs to the epoch being checkpointed, every record after it to the next one.
    ///
    /// When the lane reaches it, the epoch's outputs are all sent (or the lane failed), so it
    /// stops sending (outputs from then on are held until the next transaction opens), captures
    /// the state and next offset of each of `partitions` that has read anything, and hands the
    /// captures to `report`. The lane stands still only for that capture: the records handed
    /// over after the barrier are waiting in its queue, instead of waiting for every lane to
    /// catch up and the processing thread to capture, which on a saturated machine it did
    /// after a millisecond or more in the run queue.
    func barrier(capturing partitions: [PartitionRuntime], report: @escaping @Sendable (LaneCapture) -> Void) {
        queue.async { [self] in
            // The CPU clock is read inside the wall clock's interval, so that the one never
            // counts more than the other.
            let started = ContinuousClock.now
            let startedOnCPU = CPUTime.ofThisThread()
            transactionOpen = false
            slowBarrier?.hold()
            var captured: [LaneCapture.Partition] = []
            if failure == nil {  // a failed lane's state is not the epoch's: the checkpoint fails
                for partition in partitions {
                    guard let offset = partition.nextOffset else { continue }  // nothing read yet
                    captured.append(LaneCapture.Partition(runtime: partition, snapshot: partition.state.captureSnapshot(), nextOffset: offset))
                }
            }
            let onCPU = CPUTime.ofThisThread() - startedOnCPU
            report(LaneCapture(partitions: captured, duration: .now - started, onCPU: onCPU))
        }
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

    // Written to copy as little as it can: one `Record` serves the whole run, its fields set
    // from each consumed record in turn; each emission is moved out of the list instead of
    // copied, and an output's source header goes to the producer from the stack.
    private func process(_ records: ArraySlice<ConsumedRecord>, of partition: PartitionRuntime) throws(ProcessorFailure) {
        guard let firstRecord = records.first else { return }
        if partition.firstOffsetRead == nil { partition.firstOffsetRead = firstRecord.offset }
        let (mutedUntil, sourcePrefix) = (partition.mutedUntil, partition.sourcePrefix)
        // The partition's processor, state and position are taken `inout` once for the whole
        // run, and the emission buffer is a local meanwhile: each is a class's property, and
        // reaching one per record cost a dynamic exclusivity check (about 2% of the process).
        var emissions: [Emission] = []
        swap(&emissions, &self.emissions)
        defer { swap(&emissions, &self.emissions) }
        // A run is one partition's records: the topic and partition are set once.
        var record = Record(
            key: nil, value: [], topic: firstRecord.topicPartition.topic, partition: firstRecord.topicPartition.partition,
            offset: firstRecord.offset, timestamp: 0)
        try partition.withRecordPath { (processor, state, nextOffset) throws(ProcessorFailure) in
            // Through a buffer pointer, whose elements are borrowed in place: the slice's
            // subscript copies each consumed record out (four reference counts up, and down
            // again after).
            try records.withUnsafeBufferPointer { (consumed) throws(ProcessorFailure) in
                guard let first = consumed.baseAddress else { return }
                for position in consumed.indices {
                    let offset = first[position].offset
                    if OffsetRegression.isRegression(offset, expected: nextOffset) {
                        let regression = OffsetRegression(partition: firstRecord.topicPartition, expected: nextOffset!, delivered: offset)
                        throw ProcessorFailure(message: regression.message(application: identity?.application))
                    }
                    emissions.removeAll(keepingCapacity: true)
                    Self.load(first + position, into: &record, of: firstRecord.topicPartition)
                    do {
                        try processor.process(reusing: &record, state: &state, into: &emissions)
                    } catch {
                        throw ProcessorFailure(message: "\(error)")
                    }
                    nextOffset = offset + 1
                    guard offset >= mutedUntil else { continue }
                    // Through a buffer pointer, whose swaps move (the array's own `reverse()`
                    // copies each emission); most records emit one output, and then nothing moves.
                    emissions.withUnsafeMutableBufferPointer { $0.reverse() }
                    while let emission = emissions.popLast() {
                        try output(consume emission, from: offset, sourcePrefix: sourcePrefix)
                    }
                }
            }
        }
        if !transactionOpen { heldBytes.store(held.bytes, ordering: .relaxed) }
    }

    /// Sets every field of `record` from the consumed record, read from `source`, field by field
    /// through the pointer: a copy of the whole consumed record first would count up and down
    /// the references of fields the record does not take, and a new `Record` per consumed record
    /// was built in a stack slot and copied once more (four reference counts up and four down
    /// per record, uprobes; docs/RUNTIME.md).
    @inline(__always)
    private static func load(_ consumed: UnsafePointer<ConsumedRecord>, into record: inout Record, of source: TopicPartition) {
        // An operator may have changed the source coordinates (a `map` returns a whole record):
        // they are set again only then, as the topic's string may be a counted reference.
        if record.partition != source.partition { record.partition = source.partition }
        if record.topic != source.topic { record.topic = source.topic }
        record.key = consumed.pointee.key
        record.value = consumed.pointee.value
        if consumed.pointee.headers.isEmpty {
            if !record.headers.isEmpty { record.headers = [] }
        } else {
            record.headers = consumed.pointee.headers.map { RecordHeader(name: $0.name, value: $0.value ?? []) }
        }
        record.offset = consumed.pointee.offset
        record.timestamp = consumed.pointee.timestampMilliseconds ?? 0
        record.eventTime = nil
    }

    /// Sends an output of the record at `offset` into the open transaction, or holds it for the
    /// next one; either way it carries the record's source header unless `sink.source_header`
    /// is off (``send(_:isDeadLetter:sourcePrefix:sourceOffset:)`` decides).
    private func output(_ emission: consuming Emission, from offset: Int64, sourcePrefix: [UInt8]) throws(ProcessorFailure) {
        let isDeadLetter = emission.isDeadLetter
        let output = emission.takeRecord()
        guard transactionOpen else {
            let waiting = HeldOutput(record: output, isDeadLetter: isDeadLetter, sourcePrefix: sourcePrefix, sourceOffset: offset)
            held.append(waiting, size: waiting.size)
            return
        }
        try send(output, isDeadLetter: isDeadLetter, sourcePrefix: sourcePrefix, sourceOffset: offset)
    }

    /// Sends `output` into the open transaction, stamped with the source header of the input
    /// record at `sourceOffset` unless `sink.source_header` is off: an output made now, or one
    /// held since the last barrier.
    private func send(_ output: borrowing OutputRecord, isDeadLetter: Bool, sourcePrefix: [UInt8], sourceOffset: Int64) throws(ProcessorFailure) {
        let topic = try resolved(isDeadLetter)
        let sent: Result<Void, KafkaError>
        if stampsSource {
            // The source header from the stack.
            sent = SourceHeader.withValue(prefix: sourcePrefix, offset: sourceOffset) { value in
                produce(output, to: topic, addingHeader: (SourceHeader.name, value))
            }
        } else {
            sent = produce(output, to: topic, addingHeader: nil)
        }
        if case .failure(let error) = sent { throw failedSend(to: topic.name, error) }
        countSent()
    }

    /// Hands the output's fields straight to librdkafka, with `extra` after its own headers.
    private func produce(
        _ output: borrowing OutputRecord, to topic: ProducerTopic, addingHeader extra: (name: String, value: UnsafeRawBufferPointer)?
    ) -> Result<Void, KafkaError> {
        let headers = output.headers.isEmpty ? [] : output.headers.map { KafkaHeader($0.name, $0.value) }
        return Result { () throws(KafkaError) in
            try producer.send(
                to: topic, partition: output.partition, key: output.key, value: output.value, headers: headers,
                addingHeader: extra, timestampMilliseconds: output.timestamp)
        }
    }

    /// The sink or dead-letter topic, resolved by the producer at its first use.
    private func resolved(_ deadLetter: Bool) throws(ProcessorFailure) -> ProducerTopic {
        if let topic = deadLetter ? deadLetterHandle : sinkHandle { return topic }
        let name = deadLetter ? deadLetterTopic : sinkTopic
        do {
            let topic = try producer.topic(name)
            if deadLetter { deadLetterHandle = topic } else { sinkHandle = topic }
            return topic
        } catch {
            throw failedSend(to: name, error)
        }
    }

    private func countSent() {
        if firstOutputAt == nil { firstOutputAt = .now }
        recordsProduced += 1
    }

    /// The transaction cannot take this record: the lane stops; recovery redoes the epoch. A
    /// fence is said as such (the processor's own explanation, as when a commit finds it): the
    /// advice to restart would fence the process that took over. So is a sink partition that
    /// lost the producer's records (``SinkLogLoss``).
    private func failedSend(to topic: String, _ error: KafkaError) -> ProcessorFailure {
        if let fenced = identity?.fencedExplanation(of: error) { return ProcessorFailure(message: fenced) }
        if let lost = SinkLogLoss.explanation(of: error, sinkTopics: [topic]) { return ProcessorFailure(message: "producing to \(topic) failed: \(lost)") }
        return ProcessorFailure(message: "producing to \(topic) failed: \(error). The open transaction is aborted; restart to recover from the last checkpoint.")
    }
}
