import Foundation
import NIOCore

/// The broker's files under `--data-dir`: one file per partition holding its batches back to back
/// in Kafka's own log format, and `state.json` with topics, groups, offsets and transactions.
///
/// Idempotent-producer state and open or aborted transactions per partition are not written
/// separately: like Kafka, the broker rebuilds them by scanning the batch headers on start-up.
/// Writes happen on the caller's thread (an event loop, never Swift's cooperative pool).
///
/// `@unchecked Sendable` is safe because the only reference lives in `BrokerState`, which exists
/// only inside `BrokerCore`'s `NIOLockedValueBox`: every call happens with that lock held, so the
/// file handles are never touched by two threads at once.
final class DataStore: @unchecked Sendable {
    let directory: URL
    private var handles: [TopicPartition: FileHandle] = [:]

    init(path: String) throws {
        directory = URL(fileURLWithPath: path, isDirectory: true)
        do {
            try FileManager.default.createDirectory(at: directory.appendingPathComponent("logs"), withIntermediateDirectories: true)
        } catch {
            throw DevBrokerError(.dataDirectory, "cannot create the data directory \(path) (\(error)); pick a writable --data-dir")
        }
    }

    private func logURL(_ tp: TopicPartition) -> URL {
        directory.appendingPathComponent("logs").appendingPathComponent("\(tp.topic)-\(tp.partition).log")
    }

    /// Appends stored batch bytes to the partition's file.
    func append(_ tp: TopicPartition, _ bytes: ByteBuffer) throws {
        let handle: FileHandle
        if let h = handles[tp] {
            handle = h
        } else {
            let url = logURL(tp)
            if !FileManager.default.fileExists(atPath: url.path) {
                FileManager.default.createFile(atPath: url.path, contents: nil)
            }
            handle = try FileHandle(forWritingTo: url)
            try handle.seekToEnd()
            handles[tp] = handle
        }
        try bytes.withUnsafeReadableBytes { try handle.write(contentsOf: $0) }
    }

    /// Reads a partition's batches back; a torn batch at the end (a crash mid-write) is cut off.
    func loadPartition(_ tp: TopicPartition) throws -> PartitionLog {
        var log = PartitionLog()
        let url = logURL(tp)
        guard let data = FileManager.default.contents(atPath: url.path) else { return log }
        var buffer = ByteBuffer(bytes: data)
        var valid = 0
        while buffer.readableBytes >= RecordBatchHeader.logOverhead {
            let start = buffer.readerIndex
            guard let base = buffer.getInteger(at: start, as: Int64.self),
                let length = buffer.getInteger(at: start + 8, as: Int32.self), length > 0,
                let batch = buffer.getSlice(at: start, length: RecordBatchHeader.logOverhead + Int(length)),
                let header = try? RecordBatchHeader(batch)
            else { break }
            log.appendStored(batch, header: header, baseOffset: base)
            buffer.moveReaderIndex(forwardBy: batch.readableBytes)
            valid = buffer.readerIndex
        }
        if valid < data.count {
            let handle = try FileHandle(forWritingTo: url)
            try handle.truncate(atOffset: UInt64(valid))
            try handle.close()
        }
        return log
    }

    func deletePartition(_ tp: TopicPartition) {
        try? handles.removeValue(forKey: tp)?.close()
        try? FileManager.default.removeItem(at: logURL(tp))
    }

    /// Replaces `state.json` atomically, so a crash leaves the old or the new state, never half.
    func saveState(_ snapshot: BrokerSnapshot) throws {
        let data = try JSONEncoder().encode(snapshot)
        try data.write(to: directory.appendingPathComponent("state.json"), options: .atomic)
    }

    func loadState() throws -> BrokerSnapshot? {
        let url = directory.appendingPathComponent("state.json")
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        do {
            return try JSONDecoder().decode(BrokerSnapshot.self, from: data)
        } catch {
            throw DevBrokerError(.dataDirectory, "\(url.path) is damaged (\(error)); move it away to start with empty group and transaction state")
        }
    }

    func close() {
        for h in handles.values { try? h.close() }
        handles = [:]
    }
}

/// Everything but the partitions' bytes that must survive a restart.
struct BrokerSnapshot: Codable {
    var topics: [String: Int32]
    var groupGenerations: [String: Int32]
    var offsets: [String: [TopicPartition: CommittedOffset]]
    var transactions: [String: TransactionState]
    var producerEpochs: [Int64: Int16]
    var nextProducerId: Int64
}
