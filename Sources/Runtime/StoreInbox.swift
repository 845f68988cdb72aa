import Dispatch
import Synchronization

/// Where the checkpoint store's writer thread reports finished writes to the processing thread.
final class StoreInbox: Sendable {
    private let results = Mutex<[(CheckpointID, Result<Void, any Error>)]>([])
    private let signal = DispatchSemaphore(value: 0)

    /// Called on the writer thread.
    func post(_ id: CheckpointID, _ result: Result<Void, any Error>) {
        results.withLock { $0.append((id, result)) }
        signal.signal()
    }

    /// Takes every report so far; with `wait`, first waits up to that long for one to arrive.
    func take(waiting wait: Duration? = nil) -> [(CheckpointID, Result<Void, any Error>)] {
        if let wait, results.withLock({ $0.isEmpty }) {
            let nanoseconds = Int(wait.components.seconds) * 1_000_000_000 + Int(wait.components.attoseconds / 1_000_000_000)
            _ = signal.wait(timeout: .now() + .nanoseconds(nanoseconds))
        }
        return results.withLock { reports in
            defer { reports.removeAll() }
            return reports
        }
    }
}
