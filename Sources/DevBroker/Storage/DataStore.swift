import Foundation
import NIOCore

/// The broker's files under `--data-dir`: one file per partition holding its batches back to back
/// in Kafka's own log format, and `state.log` with topics, groups, offsets, transactions and the
/// partitions' log start offsets (the batches below a log start stay in the file). `.lock` there
/// is `DataDirectoryLock`'s: `DevBroker.start` takes it before making a store, so that no two
/// brokers load or write one directory.
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
    /// `state.log`, open for appending once the first state is saved.
    private var stateLog: FileHandle?
    /// Its size, to know when to compact it.
    private var stateLogBytes = 0

    /// Opens (creating it when missing) the data directory at `path`; `remedy` is the advice
    /// given when it cannot be created.
    init(path: String, remedy: String = DevBrokerConfiguration.Remedies().unwritableDataDirectory) throws {
        directory = URL(fileURLWithPath: path, isDirectory: true)
        do {
            let logs = directory.appendingPathComponent("logs")
            try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
            // Written and removed at once: a directory whose partition files cannot be made is
            // refused now, not at the first record a client is waiting on.
            let probe = logs.appendingPathComponent(".writable")
            try Data().write(to: probe)
            try FileManager.default.removeItem(at: probe)
        } catch {
            throw DevBrokerError(.dataDirectory, "cannot create the data directory \(path) (\(FileErrorReason(error))); \(remedy)")
        }
    }

    /// The file that holds a partition's batches.
    func logPath(_ tp: TopicPartition) -> String {
        logURL(tp).path
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
                _ = FileManager.default.createFile(atPath: url.path, contents: nil)  // if not, the open below throws
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
        // A file that is not there was never written; one that is there but cannot be read is
        // not an empty partition.
        guard FileManager.default.fileExists(atPath: url.path) else { return log }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw DevBrokerError(.dataDirectory, "cannot read \(tp.topic)-\(tp.partition) from the data directory (\(FileErrorReason(error, path: url.path)))")
        }
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

    /// Removes a partition's file, if it was ever written. Anything else at its path (a
    /// directory) is not the broker's to remove: that throws.
    func deletePartition(_ tp: TopicPartition) throws {
        try? handles.removeValue(forKey: tp)?.close()
        let path = logURL(tp).path
        var isDirectory: ObjCBool = false
        // Not there: never written (a partition's file is made at its first batch).
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return }
        if isDirectory.boolValue { throw POSIXError(.EISDIR) }
        try FileManager.default.removeItem(atPath: path)
    }

    /// Records `snapshot` as the broker's state: one line appended to `state.log`.
    ///
    /// The newest complete line is the state. An append is a single write, where replacing
    /// `state.json` (a temporary file and a rename per change) took about 1.6 ms per
    /// transactional request, under the broker's lock, inside every client's commit round
    /// trip. A crash during an append leaves a torn last line, which loading skips: the state is
    /// the old one or the new one, never half. The log is rewritten to its newest line when it
    /// outgrows ``stateLogCompactionBytes`` and at every start.
    func saveState(_ snapshot: BrokerSnapshot) throws {
        var line = try JSONEncoder().encode(snapshot)
        line.append(0x0A)
        if stateLogBytes + line.count > Self.stateLogCompactionBytes {
            try replaceStateLog(with: line)
            return
        }
        try openStateLog().write(contentsOf: line)
        stateLogBytes += line.count
    }

    /// The state as last saved: the newest line of `state.log` that decodes, or, in a data
    /// directory written before the log existed, `state.json` (moved into the log).
    func loadState() throws -> BrokerSnapshot? {
        if let data = FileManager.default.contents(atPath: stateLogURL.path) {
            let lines = data.split(separator: 0x0A)
            for line in lines.reversed() {
                guard let snapshot = try? JSONDecoder().decode(BrokerSnapshot.self, from: Data(line)) else { continue }
                try replaceStateLog(with: Data(line) + [0x0A])  // drops a torn tail
                return snapshot
            }
            guard lines.isEmpty else {
                throw DevBrokerError(.dataDirectory, "\(stateLogURL.path) holds no readable state; move it away to start with empty group and transaction state")
            }
        }
        let legacy = directory.appendingPathComponent("state.json")
        guard let data = FileManager.default.contents(atPath: legacy.path) else { return nil }
        let snapshot: BrokerSnapshot
        do {
            snapshot = try JSONDecoder().decode(BrokerSnapshot.self, from: data)
        } catch {
            throw DevBrokerError(.dataDirectory, "\(legacy.path) is damaged (\(error)); move it away to start with empty group and transaction state")
        }
        try replaceStateLog(with: data.filter { $0 != 0x0A } + [0x0A])
        try? FileManager.default.removeItem(at: legacy)
        return snapshot
    }

    /// Once `state.log` would grow past this, it is rewritten to hold only the newest state.
    static let stateLogCompactionBytes = 4 << 20

    private var stateLogURL: URL { directory.appendingPathComponent("state.log") }

    /// The file that holds the broker's state.
    var stateLogPath: String { stateLogURL.path }

    private func openStateLog() throws -> FileHandle {
        if let stateLog { return stateLog }
        if !FileManager.default.fileExists(atPath: stateLogURL.path) {
            _ = FileManager.default.createFile(atPath: stateLogURL.path, contents: nil)  // if not, the open below throws
        }
        let handle = try FileHandle(forWritingTo: stateLogURL)
        stateLogBytes = Int(try handle.seekToEnd())
        stateLog = handle
        return handle
    }

    /// Replaces `state.log` atomically by one line.
    private func replaceStateLog(with line: Data) throws {
        try? stateLog?.close()
        stateLog = nil
        try line.write(to: stateLogURL, options: .atomic)
        stateLogBytes = line.count
    }

    func close() {
        for h in handles.values { try? h.close() }
        handles = [:]
        try? stateLog?.close()
        stateLog = nil
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
    /// For each topic whose log start moved (DeleteRecords), every partition's log start offset,
    /// by partition number. Absent when none moved, as in a data directory written before
    /// DeleteRecords existed: every partition then starts at 0.
    var logStartOffsets: [String: [Int64]]? = nil
}
