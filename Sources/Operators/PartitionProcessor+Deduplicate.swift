import KeyedState

/// Deduplication. State per identity: the event time at which its entry expires (the first
/// passed record's event time + ttl); a timer at that time deletes it unless the entry was
/// replaced since.
extension PartitionProcessor {
    /// Whether `record` passes: no earlier passed record with its identity is still alive.
    mutating func admitOnce(_ index: Int, _ field: FieldPath?, _ ttl: Int64, _ record: Record, state: inout PartitionState) throws -> Bool {
        let identity = try field.map { try JSONTransforms.keyBy($0)(record) } ?? requireKey(record)
        let watermark = stageWatermarks[index]
        let stateKey = dataNamespaces[index].key(identity)
        if let entry = state[stateKey] {
            let expiry = StateBytes.readOrdered(entry[...])
            if expiry > watermark { return false }
            // Expired but not yet swept (in aligned mode the watermark this operator sees can
            // lag): the record passes and replaces the entry; the old timer finds it replaced.
            state.delete(stateKey)
        }
        let expiry = Self.add(record.eventTime ?? record.timestamp, ttl)
        if expiry > watermark {
            state.put(StateBytes.ordered(expiry), for: stateKey)
            timers[index]!.schedule(expiry, identity)
        }
        return true
    }

    mutating func expireDeduplication(_ index: Int, _ timer: TimerIndex.Timer, state: inout PartitionState) {
        let stateKey = dataNamespaces[index].key(timer.payload)
        if let entry = state[stateKey], StateBytes.readOrdered(entry[...]) == timer.time {
            state.delete(stateKey)
        }
    }
}
