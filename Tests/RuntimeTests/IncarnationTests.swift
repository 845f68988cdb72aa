import Checkpointing
import Dispatch
import Foundation
import Runtime
import Synchronization
import Testing

@Suite struct IncarnationTests {
    @Test func concurrentClaimsNeverShareAnIncarnation() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("exactly-inc-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Two stores on one directory: a zombie process and its replacement.
        let stores = try (0..<2).map { _ in
            try CheckpointStore(configuration: CheckpointStoreConfiguration(directory: directory, application: "app", instance: "app-0"))
        }
        let claims = Mutex<[UInt32]>([])
        DispatchQueue.concurrentPerform(iterations: 40) { index in
            if let claim = try? stores[index % 2].claimIncarnation(instance: "app-0") {
                claims.withLock { $0.append(claim) }
            }
        }
        let all = claims.withLock { $0 }
        #expect(all.count == 40)
        #expect(Set(all).count == 40)
        let next = try stores[0].claimIncarnation(instance: "app-0")
        #expect(next > all.max()!)
        #expect(try stores[0].claimIncarnation(instance: "other") == 1)
    }
}
