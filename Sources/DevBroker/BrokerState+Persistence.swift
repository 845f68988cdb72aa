import Logging
import NIOCore

/// BrokerState: the snapshot written to the data directory.
extension BrokerState {
    /// What `state.log` records of the state.
    var snapshot: BrokerSnapshot {
        BrokerSnapshot(
            topics: topics.mapValues { Int32($0.count) },
            groupGenerations: groups.mapValues(\.generation),
            offsets: offsets,
            transactions: transactions,
            producerEpochs: producerEpochs,
            nextProducerId: nextProducerId,
            logStartOffsets: movedLogStarts
        )
    }

    /// The log start offset of every partition of each topic where one moved
    /// (``deleteRecords(_:)``); `nil` when none did, so that such a state is written as before.
    private var movedLogStarts: [String: [Int64]]? {
        let moved = topics.compactMapValues { logs in
            logs.contains { $0.logStartOffset > 0 } ? logs.map(\.logStartOffset) : nil
        }
        return moved.isEmpty ? nil : moved
    }

    /// Applies the log start offsets saved in `path` to the partitions loaded from their files.
    ///
    /// - Throws: `DevBrokerError` when one cannot be right: for a topic that is not there, for
    ///   another number of partitions, or outside 0 up to its partition's high watermark.
    mutating func restoreLogStarts(_ saved: [String: [Int64]], savedIn path: String) throws {
        let remedy = "the data directory is damaged: remove \"logStartOffsets\" from \(path) to read every partition from offset 0 again, or move the directory away to start empty"
        for (name, starts) in saved.sorted(by: { $0.key < $1.key }) {
            guard let logs = topics[name] else {
                throw DevBrokerError(.dataDirectory, "\(path) gives log start offsets for topic \(name), which it does not have; \(remedy)")
            }
            guard starts.count == logs.count else {
                throw DevBrokerError(.dataDirectory, "\(path) gives \(starts.count) log start offset(s) for topic \(name), which has \(logs.count) partition(s); \(remedy)")
            }
            for (index, start) in starts.enumerated() {
                let highWatermark = logs[index].highWatermark
                guard (0...highWatermark).contains(start) else {
                    throw DevBrokerError(.dataDirectory, "\(path) gives \(name)-\(index) the log start offset \(start), but it must be 0...\(highWatermark) (up to the high watermark of its log file); \(remedy)")
                }
                topics[name]![index].advanceLogStart(to: start)
            }
        }
    }

    /// Saves the state after a change; a failure stops the broker answering (``failStorage(_:)``).
    mutating func persist() {
        guard let store, storageFailure == nil else { return }
        do {
            try store.saveState(snapshot)
        } catch {
            failStorage("cannot save the broker state (\(FileErrorReason(error, path: store.stateLogPath)))")
        }
    }

    /// ``failStorage(_:)`` for a partition's file: `what` is the action, the file's path and the
    /// system's reason are added.
    mutating func failStorage(_ what: String, _ tp: TopicPartition, _ error: any Error) {
        failStorage("\(what) (\(FileErrorReason(error, path: store?.logPath(tp))))")
    }

    /// Records the first failed write to the data directory. The change that needed it is in
    /// memory only, so the broker must not answer the request that made it, nor any after:
    /// `BrokerCore` closes every connection instead. What was written before stays readable
    /// (a torn last write is cut off when the directory is loaded).
    mutating func failStorage(_ what: String) {
        guard storageFailure == nil else { return }
        storageFailure = "\(what); the development broker stops answering so that it acknowledges nothing it could not keep, and everything acknowledged before is in its data directory. Free space or fix the directory, then restart: \(storageRemedy)"
        logger.critical("\(storageFailure!)")
    }
}
