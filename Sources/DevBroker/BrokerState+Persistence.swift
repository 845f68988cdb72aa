import Logging
import NIOCore

/// BrokerState: the snapshot written to the data directory.
extension BrokerState {
    func persist() {
        guard let store else { return }
        let snapshot = BrokerSnapshot(
            topics: topics.mapValues { Int32($0.count) },
            groupGenerations: groups.mapValues(\.generation),
            offsets: offsets,
            transactions: transactions,
            producerEpochs: producerEpochs,
            nextProducerId: nextProducerId
        )
        do {
            try store.saveState(snapshot)
        } catch {
            logger.error("cannot save broker state to \(store.directory.path): \(error)")
        }
    }
}
