import KeyedState

/// Runs a ``Pipeline`` over the records of one input partition, keeping every piece of operator
/// state (accumulators, windows, deduplication entries, timers, the watermark) in that
/// partition's ``KeyedState/PartitionState``.
///
/// Guarantees, for the runtime:
/// - Emissions are a function of the records fed (in offset order) and the state: feed a state
///   restored from a checkpoint the same records that followed the checkpoint and the emissions
///   equal those of an uninterrupted run (with ``Watermarks/Mode/perPartition``).
/// - Call ``restore(from:)`` once after replacing the state by a restored one: it rebuilds the
///   in-memory indexes (timers) that are derived from state.
/// - A record either produces outputs, is filtered out, is a duplicate, is counted as dropped
///   for lateness (``LatePolicy/drop``), or becomes a dead letter; with ``ErrorPolicy/stop`` a
///   failing record throws ``PipelineStoppedError`` instead. Nothing else happens to it.
///
/// - Important: Operator state is keyed by the operator's position in the pipeline (namespace
///   `o<index>`, and `l<index>` for its late-record count; `wm` holds the watermark). Restoring a checkpoint into a pipeline whose operators changed order or
///   kind reads the wrong state; change the application id when the pipeline changes shape.
public struct PartitionProcessor: Sendable {
    /// The partition's topic.
    public let topic: String
    /// The partition.
    public let partition: Int32

    let pipeline: Pipeline
    let stages: [Stage]
    let names: [String]
    let dataNamespaces: [StateNamespace]
    let lateNamespaces: [StateNamespace]
    var timers: [TimerIndex?]
    var stageWatermarks: [Int64]

    /// The largest event time seen, `Int64.min` before any.
    private(set) var maxEventTime: Int64 = .min
    /// The watermark the operators have been advanced to, `Int64.min` before any.
    public private(set) var watermark: Int64 = .min
    /// The offset of the record being processed, for the coordinates of results it fires.
    var triggerOffset: Int64 = -1

    /// The largest event time seen and the watermark, 16 bytes in one entry (one write per
    /// record that moves them). Short namespaces because every state key is hashed per access.
    static let watermarkKey = StateNamespace("wm").key([UInt8]())

    init(pipeline: Pipeline, topic: String, partition: Int32) {
        self.pipeline = pipeline
        self.topic = topic
        self.partition = partition
        stages = pipeline.stages
        names = pipeline.stages.enumerated().map { index, stage in
            "operators[\(index)] \(stage.label)" + (stage.line.map { " (line \($0))" } ?? "")
        }
        dataNamespaces = stages.indices.map { StateNamespace("o\($0)") }
        lateNamespaces = stages.indices.map { StateNamespace("l\($0)") }
        timers = stages.map { $0.kind.hasTimers ? TimerIndex() : nil }
        stageWatermarks = Array(repeating: .min, count: stages.count)
    }

    /// This partition's own watermark: the largest event time seen minus the allowed
    /// out-of-orderness; `nil` before the first record with an event time. In aligned mode the
    /// runtime hands it to ``WatermarkAligner/recordProcessed(by:watermark:now:)``.
    public var localWatermark: Int64? {
        maxEventTime == .min ? nil : Self.subtract(maxEventTime, pipeline.watermarks.maxOutOfOrdernessMillis)
    }

    // MARK: Runtime hooks

    /// Runs `record` through the pipeline, appending what to produce to `emissions`; in
    /// per-partition mode it then advances the watermark and appends what the timers fire.
    ///
    /// The record is taken (`consuming`), so the operators change it in place rather than copy it.
    public mutating func process(
        _ record: consuming Record, state: inout PartitionState, into emissions: inout [Emission]
    ) throws(PipelineStoppedError) {
        var record = record
        try process(reusing: &record, state: &state, into: &emissions)
    }

    /// ``process(_:state:into:)`` for a caller that keeps one `Record` for a run of records and
    /// sets its fields for each: the operators work on `record` in place, and an output takes
    /// its key, value and headers. On return `record` holds whatever is left of it; set every
    /// field again before the next call.
    ///
    /// Why: a `Record` built per call in another module was built in a stack slot and copied
    /// into the call (four reference counts up and four down per record, uprobes).
    public mutating func process(
        reusing record: inout Record, state: inout PartitionState, into emissions: inout [Emission]
    ) throws(PipelineStoppedError) {
        // An error names the source from this processor's own fields and the offset read first
        // (the operators may have changed the record by then).
        let offset = record.offset
        do {
            try processUntyped(&record, state: &state, into: &emissions)
        } catch let error as PipelineStoppedError {
            throw error
        } catch {
            throw Self.stopped(topic: topic, partition: partition, offset: offset, error)
        }
    }

    /// ``process(_:state:into:)`` returning the emissions.
    public mutating func process(_ record: Record, state: inout PartitionState) throws(PipelineStoppedError) -> [Emission] {
        var emissions: [Emission] = []
        try process(record, state: &state, into: &emissions)
        return emissions
    }

    /// Advances the operators' watermark to `watermark` (a lower value changes nothing) and
    /// appends the results of the timers it fires. In aligned mode the runtime calls this with
    /// the ``WatermarkAligner``'s watermark; in per-partition mode ``process(_:state:into:)``
    /// does it, and a runtime calling it too must do so at the same records on replay.
    public mutating func advanceWatermark(
        to watermark: Int64, state: inout PartitionState, into emissions: inout [Emission]
    ) throws(PipelineStoppedError) {
        triggerOffset = -1
        let source = Record(key: nil, value: [], topic: topic, partition: partition, offset: -1, timestamp: watermark)
        try stopping(source) { processor in
            try processor.advance(to: watermark, state: &state, into: &emissions)
        }
    }

    /// Rebuilds the in-memory indexes from `state` after it was restored from a checkpoint (or
    /// replaced by any other state): one scan over the entries.
    public mutating func restore(from state: PartitionState) {
        if let bytes = state[Self.watermarkKey] {
            maxEventTime = StateBytes.readOrdered(bytes[0..<8])
            watermark = StateBytes.readOrdered(bytes[8..<16])
        } else {
            maxEventTime = .min
            watermark = .min
        }
        stageWatermarks = Array(repeating: watermark, count: stages.count)
        let timed = stages.indices.filter { timers[$0] != nil }
        guard !timed.isEmpty else { return }
        var collected = Array(repeating: [TimerIndex.Timer](), count: stages.count)
        state.forEach { key, value in
            for index in timed {
                guard let suffix = dataNamespaces[index].suffix(of: key) else { continue }
                timersImplied(by: index, suffix, value, into: &collected[index])
                return
            }
        }
        for index in timed {
            timers[index]!.rebuild(collected[index])
        }
    }

    /// How many records the window operators dropped for coming after their allowed lateness.
    public func lateRecordsDropped(in state: PartitionState) -> Int64 {
        lateNamespaces.reduce(0) { total, namespace in
            total + (state[namespace.key([UInt8]())].map { StateBytes.readInt64($0[...], at: 0) } ?? 0)
        }
    }

    /// How many timers are pending (all operators), from the in-memory index.
    public var pendingTimerCount: Int {
        timers.reduce(0) { $0 + ($1?.pendingCount ?? 0) }
    }

    // MARK: The record path

    private mutating func stopping(
        _ record: Record, _ body: (inout PartitionProcessor) throws -> Void
    ) throws(PipelineStoppedError) {
        do {
            try body(&self)
        } catch let error as PipelineStoppedError {
            throw error
        } catch {
            throw Self.stopped(topic: record.topic, partition: record.partition, offset: record.offset, error)
        }
    }

    /// An error that is not a record error, as the stop it causes.
    private static func stopped(topic: String, partition: Int32, offset: Int64, _ error: any Error) -> PipelineStoppedError {
        PipelineStoppedError(
            topic: topic, partition: partition, offset: offset, operatorName: "pipeline",
            reason: RecordError(.operatorFailed, "\(error)"))
    }

    private mutating func processUntyped(_ record: inout Record, state: inout PartitionState, into emissions: inout [Emission]) throws {
        triggerOffset = record.offset
        if let eventTime = pipeline.eventTime {
            do {
                record.eventTime = try eventTime.extract(from: record)
            } catch {
                try fail(record, error, operatorName: "event_time", into: &emissions)
                return
            }
        }
        let eventTime = record.eventTime
        try run(from: 0, &record, state: &state, into: &emissions)
        guard let time = eventTime, time > maxEventTime else { return }
        maxEventTime = time
        if pipeline.watermarks.mode == .perPartition, let local = localWatermark, local > watermark {
            try advance(to: local, state: &state, into: &emissions)
        }
        saveWatermark(&state)
    }

    private func saveWatermark(_ state: inout PartitionState) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        StateBytes.appendOrdered(maxEventTime, to: &bytes)
        StateBytes.appendOrdered(watermark, to: &bytes)
        state.put(bytes, for: Self.watermarkKey)
    }

    /// Runs `record` through the operators from `start` on.
    mutating func run(from start: Int, _ record: consuming Record, state: inout PartitionState, into emissions: inout [Emission]) throws {
        var record = record
        try run(from: start, &record, state: &state, into: &emissions)
    }

    /// Runs `record` through the operators from `start` on, in place: an output moves the
    /// record's key, value and headers out.
    mutating func run(from start: Int, _ record: inout Record, state: inout PartitionState, into emissions: inout [Emission]) throws {
        var index = start
        while index < stages.count {
            do {
                switch stages[index].kind {
                case .map(let transform):
                    record = try transform(record)
                case .filter(let isIncluded):
                    guard try isIncluded(record) else { return }
                case .flatMap(let transform):
                    for element in try transform(record) {
                        try run(from: index + 1, element, state: &state, into: &emissions)
                    }
                    return
                case .keyBy(let key):
                    record.key = try key(record)
                case .aggregate(let aggregation):
                    let key = try requireKey(record)
                    let stateKey = dataNamespaces[index].key(key)
                    // The result is made inside the update: if either step throws, state is unchanged.
                    var value: [UInt8] = []
                    try state.updateValue(stateKey) { current in
                        let accumulator = try aggregation.aggregator.add(&record, to: current)
                        value = try aggregation.aggregator.result(accumulator, key: key, window: nil)
                        return accumulator
                    }
                    // Swapped in, and headers emptied only when there are any: plain assignments
                    // counted references up and down for nothing.
                    swap(&record.value, &value)
                    if !record.headers.isEmpty { record.headers = [] }
                case .window(let shape, let lateness, let late, let aggregation):
                    try window(index, shape, lateness, late, aggregation, record, state: &state, into: &emissions)
                    return
                case .deduplicate(let field, let ttl):
                    guard try admitOnce(index, field, ttl, record, state: &state) else { return }
                }
            } catch let error as PipelineStoppedError {
                throw error
            } catch {
                try fail(record, error, operatorName: names[index], into: &emissions)
                return
            }
            index += 1
        }
        // The output takes the record's key, value and headers: moved out, not copied (a copy
        // would count each reference up here and down again when the record goes).
        var key: [UInt8]? = nil
        var value: [UInt8] = []
        var headers: [RecordHeader] = []
        swap(&key, &record.key)
        swap(&value, &record.value)
        swap(&headers, &record.headers)
        emissions.append(.output(OutputRecord(key: key, value: value, headers: headers, timestamp: record.eventTime ?? record.timestamp)))
    }

    func requireKey(_ record: Record) throws -> [UInt8] {
        guard let key = record.key else {
            throw RecordError(.missingKey, "record has no key: add `key_by` before this operator, or produce keyed records")
        }
        return key
    }

    // MARK: Time

    mutating func advance(to newWatermark: Int64, state: inout PartitionState, into emissions: inout [Emission]) throws {
        guard newWatermark > watermark else { return }
        for index in stages.indices {
            if timers[index] != nil {
                while let timer = timers[index]!.popDue(upTo: newWatermark) {
                    try fire(index, timer, state: &state, into: &emissions)
                }
            }
            // Operators downstream of `index` still see the old watermark while `index` fires,
            // so results fired at time t are not late for a downstream window ending at t.
            stageWatermarks[index] = newWatermark
        }
        watermark = newWatermark
        saveWatermark(&state)
    }

    /// The timers that the state entry `suffix` → `value` of operator `index` implies.
    private func timersImplied(by index: Int, _ suffix: ArraySlice<UInt8>, _ value: [UInt8], into timers: inout [TimerIndex.Timer]) {
        switch stages[index].kind {
        case .window(.sliding, let lateness, _, _):
            let window = Window(start: StateBytes.readOrdered(suffix.prefix(8)), end: StateBytes.readOrdered(suffix.dropFirst(8).prefix(8)))
            timers.append(windowTimer(window, Array(suffix.dropFirst(16)), lateness: lateness))
        case .window(.session, let lateness, _, _):
            for session in SessionList(decoding: value).sessions {
                timers.append(windowTimer(session.window, Array(suffix), lateness: lateness))
            }
        case .deduplicate:
            timers.append(TimerIndex.Timer(time: StateBytes.readOrdered(value[...]), payload: Array(suffix)))
        default:
            break
        }
    }

    private mutating func fire(_ index: Int, _ timer: TimerIndex.Timer, state: inout PartitionState, into emissions: inout [Emission]) throws {
        switch stages[index].kind {
        case .window(let shape, let lateness, _, let aggregation):
            try fireWindow(index, shape, lateness, aggregation, timer, state: &state, into: &emissions)
        case .deduplicate:
            expireDeduplication(index, timer, state: &state)
        default:
            break
        }
    }

    static func subtract(_ time: Int64, _ amount: Int64) -> Int64 {
        let (result, overflow) = time.subtractingReportingOverflow(amount)
        return overflow ? .min : result
    }

    static func add(_ time: Int64, _ amount: Int64) -> Int64 {
        let (result, overflow) = time.addingReportingOverflow(amount)
        return overflow ? .max : result
    }

    // MARK: Failures

    /// Routes a failed record by the error policy: a dead letter, or a thrown stop.
    mutating func fail(_ record: Record, _ error: any Error, operatorName: String, into emissions: inout [Emission]) throws {
        if let shape = error as? AccumulatorShapeError {
            // The state does not fit the pipeline: every record of the key would fail the same way.
            throw PipelineStoppedError(
                topic: record.topic, partition: record.partition, offset: record.offset, operatorName: operatorName,
                reason: RecordError(.operatorFailed, shape.description))
        }
        let reason = (error as? RecordError) ?? RecordError(.operatorFailed, "operator threw: \(error)")
        switch pipeline.onError {
        case .stop:
            throw PipelineStoppedError(
                topic: record.topic, partition: record.partition, offset: record.offset, operatorName: operatorName, reason: reason)
        case .deadLetter:
            emissions.append(.deadLetter(Self.deadLetter(record, reason: reason, operatorName: operatorName)))
        }
    }

    static func deadLetter(_ record: Record, reason: RecordError, operatorName: String) -> OutputRecord {
        var headers = record.headers
        headers.append(RecordHeader(name: DeadLetterHeader.reason, text: reason.message))
        headers.append(RecordHeader(name: DeadLetterHeader.code, text: reason.code.description))
        headers.append(RecordHeader(name: DeadLetterHeader.operatorName, text: operatorName))
        headers.append(RecordHeader(name: DeadLetterHeader.sourceTopic, text: record.topic))
        headers.append(RecordHeader(name: DeadLetterHeader.sourcePartition, text: String(record.partition)))
        headers.append(RecordHeader(name: DeadLetterHeader.sourceOffset, text: String(record.offset)))
        return OutputRecord(key: record.key, value: record.value, headers: headers, timestamp: record.timestamp)
    }
}
