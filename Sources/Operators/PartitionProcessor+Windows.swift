import KeyedState

/// Window operators. Timer payloads are `[kind] ++ start ++ end ++ key` (kind 0: emit the
/// result at the window end; kind 1: drop the window at end + allowed lateness), so timers due at
/// the same time fire results in (start, end, key) order and before any clean-up. Which timer a
/// window has follows from its state entry and the watermark (``windowTimer(_:_:lateness:)``):
/// that is how a restore rebuilds them.
extension PartitionProcessor {
    static let fireTimer: UInt8 = 0
    static let cleanUpTimer: UInt8 = 1

    static func windowPayload(_ kind: UInt8, _ window: Window, _ key: [UInt8]) -> [UInt8] {
        var payload: [UInt8] = [kind]
        payload.reserveCapacity(17 + key.count)
        StateBytes.appendOrdered(window.start, to: &payload)
        StateBytes.appendOrdered(window.end, to: &payload)
        payload.append(contentsOf: key)
        return payload
    }

    /// The timer a window stored in state has pending: its result at its end while the watermark
    /// is below the end, its clean-up at end + lateness after.
    func windowTimer(_ window: Window, _ key: [UInt8], lateness: Int64) -> TimerIndex.Timer {
        window.end > watermark
            ? TimerIndex.Timer(time: window.end, payload: Self.windowPayload(Self.fireTimer, window, key))
            : TimerIndex.Timer(time: Self.add(window.end, lateness), payload: Self.windowPayload(Self.cleanUpTimer, window, key))
    }

    /// The state key of a fixed (tumbling or sliding) window: `start ++ end ++ key`.
    func fixedWindowKey(_ index: Int, _ window: Window, _ key: [UInt8]) -> StateKey {
        var suffix: [UInt8] = []
        suffix.reserveCapacity(16 + key.count)
        StateBytes.appendOrdered(window.start, to: &suffix)
        StateBytes.appendOrdered(window.end, to: &suffix)
        suffix.append(contentsOf: key)
        return dataNamespaces[index].key(suffix)
    }

    /// Whether a window ending at `end` no longer accepts records at `watermark`.
    func isExpired(_ end: Int64, lateness: Int64, watermark: Int64) -> Bool {
        Self.add(end, lateness) <= watermark
    }

    mutating func window(
        _ index: Int, _ shape: WindowShape, _ lateness: Int64, _ late: LatePolicy, _ aggregation: Aggregation,
        _ record: Record, state: inout PartitionState, into emissions: inout [Emission]
    ) throws {
        let key = try requireKey(record)
        let time = record.eventTime ?? record.timestamp
        switch shape {
        case .sliding(let size, let slide):
            try fixedWindows(index, size, slide, lateness, late, aggregation, key, time, record, state: &state, into: &emissions)
        case .session(let gap):
            try sessionWindow(index, gap, lateness, late, aggregation, key, time, record, state: &state, into: &emissions)
        }
    }

    private mutating func fixedWindows(
        _ index: Int, _ size: Int64, _ slide: Int64, _ lateness: Int64, _ late: LatePolicy, _ aggregation: Aggregation,
        _ key: [UInt8], _ time: Int64, _ record: Record, state: inout PartitionState, into emissions: inout [Emission]
    ) throws {
        let watermark = stageWatermarks[index]
        // All accumulators are computed before any is stored, so a record that fails leaves no
        // trace in any of its windows.
        var updates: [(window: Window, stateKey: StateKey, accumulator: StateValue, isNew: Bool)] = []
        for window in WindowShape.windows(containing: time, size: size, slide: slide)
        where !isExpired(window.end, lateness: lateness, watermark: watermark) {
            let stateKey = fixedWindowKey(index, window, key)
            let existing = state.value(for: stateKey)
            updates.append((window, stateKey, try aggregation.aggregator.add(record, to: existing), existing == nil))
        }
        guard !updates.isEmpty else {
            try tooLate(index, late, record, state: &state, into: &emissions)
            return
        }
        var results: [Record] = []
        for update in updates {
            state.put(update.accumulator, for: update.stateKey)
            if update.window.end > watermark {
                if update.isNew {
                    timers[index]!.schedule(update.window.end, Self.windowPayload(Self.fireTimer, update.window, key))
                }
            } else {
                if update.isNew {
                    timers[index]!.schedule(
                        Self.add(update.window.end, lateness), Self.windowPayload(Self.cleanUpTimer, update.window, key))
                }
                results.append(try windowResult(aggregation, update.accumulator, key, update.window, source: record))
            }
        }
        for result in results {
            try run(from: index + 1, result, state: &state, into: &emissions)
        }
    }

    private mutating func sessionWindow(
        _ index: Int, _ gap: Int64, _ lateness: Int64, _ late: LatePolicy, _ aggregation: Aggregation,
        _ key: [UInt8], _ time: Int64, _ record: Record, state: inout PartitionState, into emissions: inout [Emission]
    ) throws {
        let watermark = stageWatermarks[index]
        let stateKey = dataNamespaces[index].key(key)
        var list = state[stateKey].map(SessionList.init(decoding:)) ?? SessionList()
        var merged = Window(start: time, end: Self.add(time, gap))
        // Sessions that touch or overlap the record's own session merge with it.
        let touching = list.sessions.filter { $0.window.start <= merged.end && merged.start <= $0.window.end }
        if touching.isEmpty, isExpired(merged.end, lateness: lateness, watermark: watermark) {
            try tooLate(index, late, record, state: &state, into: &emissions)
            return
        }
        var accumulator: StateValue?
        for session in touching {
            merged.start = min(merged.start, session.window.start)
            merged.end = max(merged.end, session.window.end)
            accumulator = try accumulator.map { try aggregation.aggregator.merge($0, session.accumulator) } ?? session.accumulator
        }
        let updated = try aggregation.aggregator.add(record, to: accumulator)
        let result = merged.end <= watermark ? try windowResult(aggregation, updated, key, merged, source: record) : nil

        // The timers of the merged-away sessions stay in the index and find no session when
        // they come up. A merge that ends where a touching session already ends keeps its timer.
        list.sessions.removeAll { session in touching.contains { $0.window == session.window } }
        list.sessions.append(SessionList.Session(window: merged, accumulator: updated))
        list.sessions.sort { $0.window < $1.window }
        state.put(list.encoded(), for: stateKey)
        let timerExists = touching.contains { $0.window == merged }
        if let result {
            if !timerExists {
                timers[index]!.schedule(Self.add(merged.end, lateness), Self.windowPayload(Self.cleanUpTimer, merged, key))
            }
            try run(from: index + 1, result, state: &state, into: &emissions)
        } else if !timerExists {
            timers[index]!.schedule(merged.end, Self.windowPayload(Self.fireTimer, merged, key))
        }
    }

    /// A record too late for every window it belongs to: counted, or a dead letter.
    private mutating func tooLate(
        _ index: Int, _ late: LatePolicy, _ record: Record, state: inout PartitionState, into emissions: inout [Emission]
    ) throws {
        switch late {
        case .drop:
            let counter = lateNamespaces[index].key([UInt8]())
            let dropped = state[counter].map { StateBytes.readInt64($0[...], at: 0) } ?? 0
            var bytes: [UInt8] = []
            StateBytes.appendInt64(dropped + 1, to: &bytes)
            state.put(bytes, for: counter)
        case .deadLetter:
            let reason = RecordError(
                .lateRecord,
                "event time \(record.eventTime ?? record.timestamp) is behind watermark \(stageWatermarks[index]) by more than the allowed lateness")
            emissions.append(.deadLetter(Self.deadLetter(record, reason: reason, operatorName: names[index])))
        }
    }

    /// The record a window emits: keyed by the key, event time `end - 1` (the last instant inside
    /// the window), source coordinates of the record that triggered it.
    func windowResult(_ aggregation: Aggregation, _ accumulator: StateValue, _ key: [UInt8], _ window: Window, source: Record) throws -> Record {
        let value = try aggregation.aggregator.result(accumulator, key: key, window: window)
        return Record(
            key: key, value: value, topic: source.topic, partition: source.partition, offset: source.offset,
            timestamp: window.end - 1, eventTime: window.end - 1)
    }

    mutating func fireWindow(
        _ index: Int, _ shape: WindowShape, _ lateness: Int64, _ aggregation: Aggregation, _ timer: TimerIndex.Timer,
        state: inout PartitionState, into emissions: inout [Emission]
    ) throws {
        let payload = timer.payload[...]
        let kind = payload[payload.startIndex]
        let window = Window(
            start: StateBytes.readOrdered(payload.dropFirst(1).prefix(8)), end: StateBytes.readOrdered(payload.dropFirst(9).prefix(8)))
        let key = Array(payload.dropFirst(17))
        let source = Record(key: key, value: [], topic: topic, partition: partition, offset: triggerOffset, timestamp: window.end - 1)
        var result: Record?
        switch shape {
        case .sliding:
            let stateKey = fixedWindowKey(index, window, key)
            guard let accumulator = state.value(for: stateKey) else { return }
            if kind == Self.fireTimer {
                result = try resultOrDeadLetter(index, aggregation, accumulator, key, window, source, into: &emissions)
                if lateness == 0 {
                    state.delete(stateKey)
                } else {
                    timers[index]!.schedule(Self.add(window.end, lateness), Self.windowPayload(Self.cleanUpTimer, window, key))
                }
            } else {
                state.delete(stateKey)
            }
        case .session:
            let stateKey = dataNamespaces[index].key(key)
            guard let bytes = state[stateKey] else { return }
            var list = SessionList(decoding: bytes)
            // A session merged away since this timer was scheduled is not there any more.
            guard let position = list.sessions.firstIndex(where: { $0.window == window }) else { return }
            if kind == Self.fireTimer {
                result = try resultOrDeadLetter(index, aggregation, list.sessions[position].accumulator, key, window, source, into: &emissions)
            }
            if kind == Self.cleanUpTimer || lateness == 0 {
                list.sessions.remove(at: position)
                if list.sessions.isEmpty {
                    state.delete(stateKey)
                } else {
                    state.put(list.encoded(), for: stateKey)
                }
            } else {
                timers[index]!.schedule(Self.add(window.end, lateness), Self.windowPayload(Self.cleanUpTimer, window, key))
            }
        }
        if let result {
            try run(from: index + 1, result, state: &state, into: &emissions)
        }
    }

    private mutating func resultOrDeadLetter(
        _ index: Int, _ aggregation: Aggregation, _ accumulator: StateValue, _ key: [UInt8], _ window: Window, _ source: Record,
        into emissions: inout [Emission]
    ) throws -> Record? {
        do {
            return try windowResult(aggregation, accumulator, key, window, source: source)
        } catch {
            try fail(source, error, operatorName: names[index], into: &emissions)
            return nil
        }
    }
}
