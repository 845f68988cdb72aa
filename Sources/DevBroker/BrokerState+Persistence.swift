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
            nextProducerId: nextProducerId
        )
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
