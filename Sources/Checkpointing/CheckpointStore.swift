import Dispatch
import KeyedState
import Synchronization

/// The checkpoint store of one application: writes snapshots as full or incremental state
/// files plus a manifest, verifies, restores, and applies retention.
///
/// Writing happens on the store's own serial dispatch queue (never on Swift's cooperative
/// pool): the caller hands over snapshots captured in O(1) and goes on processing, and
/// ``write(checkpointID:partitions:descendsFrom:replaySink:)`` resumes only once the manifest is durable.
/// Writes, discards and retention are serialized on that queue in the order they are called;
/// reads (restore, verify, list) may run on any thread, or through the `async` variants on a
/// dedicated reading queue.
///
/// - Important: One store per application directory per process. Several instances (processes)
///   may share the directory when they own different partitions; retention then leaves files
///   younger than ``CheckpointStoreConfiguration/orphanGracePeriod`` alone.
public final class CheckpointStore: Sendable {
    /// The configuration the store was opened with.
    public let configuration: CheckpointStoreConfiguration
    let layout: CheckpointLayout
    /// Serializes writes, discards and retention: blocking I/O, off the cooperative pool.
    let writeQueue: DispatchQueue
    /// Runs the `async` reads: blocking I/O, off the cooperative pool.
    let readQueue: DispatchQueue
    let state: Mutex<StoreState>

    struct StoreState: Sendable {
        var planner: ChainPlanner
        var lastCheckpointID: String?
        var lastCreatedAtMilliseconds: Int64
    }

    /// Opens (creating if needed, with owner-only permissions) the store described by
    /// `configuration`. The newest readable checkpoint of the same instance becomes the parent
    /// of the next one written.
    ///
    /// - Throws: ``CheckpointError`` (`invalidArgument`, `ioFailure`).
    public init(configuration: CheckpointStoreConfiguration) throws {
        guard CheckpointLayout.isValidName(configuration.application) else {
            throw CheckpointError(
                .invalidArgument, reason: "cannot use application name \"\(configuration.application)\"",
                remedy: "use letters, digits, '.', '_' and '-', not starting with '.'")
        }
        self.configuration = configuration
        layout = CheckpointLayout(directory: configuration.directory, application: configuration.application)
        writeQueue = DispatchQueue(label: "exactly.checkpoint.write.\(configuration.application)")
        readQueue = DispatchQueue(label: "exactly.checkpoint.read.\(configuration.application)", attributes: .concurrent)
        try DurableFiles.makeDirectory(layout.manifestsDirectory)
        try DurableFiles.makeDirectory(layout.stateDirectory)
        let own = Self.listCheckpoints(layout).first { $0.manifest?.instance == configuration.instance }
        state = Mutex(
            StoreState(
                planner: ChainPlanner(
                    maxDeltas: configuration.maxDeltasPerChain, maxDeltaBytes: configuration.maxDeltaBytesPerChain),
                lastCheckpointID: own?.checkpointID,
                lastCreatedAtMilliseconds: own?.createdAtMilliseconds ?? 0))
    }

    /// The path of the application's directory, `<directory>/<application>`.
    public var rootDirectory: String { layout.root }

    // MARK: Writing

    /// Writes checkpoint `checkpointID` holding `partitions`, and resumes once its manifest is
    /// durable (files and manifest fsynced, renamed into place, directories fsynced).
    ///
    /// Each partition is written as a delta on its durable chain when its snapshot's change log
    /// provably continues that chain and the chain is within its bounds, as nothing when
    /// unchanged, and as a full base otherwise. On failure nothing of the checkpoint remains.
    ///
    /// - Parameters:
    ///   - descendsFrom: for a replay, the checkpoint the replay started from.
    ///   - replaySink: for a replay, the topic it writes to.
    /// - Throws: ``CheckpointError`` naming the checkpoint, partition and file.
    public func write(
        checkpointID: String, partitions: [PartitionCheckpoint], descendsFrom: String? = nil, replaySink: String? = nil
    ) async throws -> CheckpointManifest {
        try await withCheckedThrowingContinuation { continuation in
            writeQueue.async {
                continuation.resume(
                    with: Result {
                        try self.performWrite(checkpointID: checkpointID, partitions: partitions, descendsFrom: descendsFrom, replaySink: replaySink)
                    })
                self.fold(partitions)
            }
        }
    }

    /// ``write(checkpointID:partitions:descendsFrom:replaySink:)``, blocking the calling thread until the
    /// manifest is durable. Do not call it from Swift's cooperative pool.
    ///
    /// Like the async write, it then folds the snapshots' change logs on the store's queue, in
    /// write order (see `fold`), without waiting for that.
    public func writeAndWait(
        checkpointID: String, partitions: [PartitionCheckpoint], descendsFrom: String? = nil, replaySink: String? = nil
    ) throws -> CheckpointManifest {
        let manifest = try writeQueue.sync {
            try performWrite(checkpointID: checkpointID, partitions: partitions, descendsFrom: descendsFrom, replaySink: replaySink)
        }
        writeQueue.async { self.fold(partitions) }
        return manifest
    }

    /// Folds each snapshot's change logs into its map here, off the processing thread, once the
    /// checkpoint is durable: the states they came from adopt the folds at their next capture
    /// instead of copying buckets on the processing thread (see `KeyedState.PartitionState`).
    private func fold(_ partitions: [PartitionCheckpoint]) {
        DispatchQueue.concurrentPerform(iterations: partitions.count) { index in
            partitions[index].snapshot.entries.materialize()
        }
    }

    /// Abandons checkpoint `checkpointID` (its Kafka transaction did not commit): removes its
    /// manifest and the state files only it introduced, and forgets it as the base of later
    /// deltas. A partition rolled back with `PartitionState.restore(_:)` to the snapshot of the
    /// checkpoint before can still be written as a delta on that one. Discarding a checkpoint
    /// that does not exist does nothing.
    public func discard(_ checkpointID: String) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            writeQueue.async { continuation.resume(with: Result { try self.performDiscard(checkpointID) }) }
        }
    }

    /// ``discard(_:)``, blocking the calling thread.
    public func discardAndWait(_ checkpointID: String) throws {
        try writeQueue.sync { try performDiscard(checkpointID) }
    }

    private func performWrite(
        checkpointID: String, partitions: [PartitionCheckpoint], descendsFrom: String?, replaySink: String?
    ) throws -> CheckpointManifest {
        try validate(checkpointID: checkpointID, partitions: partitions)
        let manifestPath = layout.manifestPath(checkpointID)
        guard DurableFiles.size(manifestPath) == nil else {
            throw CheckpointError(
                .checkpointExists, checkpointID: checkpointID, file: manifestPath,
                reason: "already exists", remedy: "use a new checkpoint id; ids must be unique per application")
        }
        let plans = state.withLock { store in
            partitions.map { part in
                store.planner.plan(
                    part.partition, changesSince: part.snapshot.changesSince, captureID: part.snapshot.captureID,
                    changeCount: part.snapshot.changes.count, keyCount: part.snapshot.count)
            }
        }
        let outcomes = Mutex([Result<(PartitionChain, String?), any Error>?](repeating: nil, count: partitions.count))
        DispatchQueue.concurrentPerform(iterations: partitions.count) { index in
            let outcome = Result {
                try self.writeFiles(of: partitions[index], plan: plans[index], checkpointID: checkpointID)
            }
            outcomes.withLock { $0[index] = outcome }
        }
        let results = outcomes.withLock { $0 }
        let written = results.compactMap { try? $0?.get().1 }
        func removeWritten() { for path in written { try? DurableFiles.remove(path) } }
        var chains: [PartitionID: PartitionChain] = [:]
        var entries: [PartitionManifest] = []
        for (index, result) in results.enumerated() {
            let part = partitions[index]
            switch result! {
            case .failure(let error):
                removeWritten()
                throw (error as? CheckpointError)?.naming(checkpointID: checkpointID, partition: part.partition) ?? error
            case .success(let (chain, _)):
                chains[part.partition] = chain
                entries.append(
                    PartitionManifest(
                        partition: part.partition, nextOffset: part.nextOffset, keyCount: part.snapshot.count,
                        captureID: chain.captureID.rawValue, files: chain.files, forks: part.forks))
            }
        }
        entries.sort { $0.partitionID < $1.partitionID }
        let (parent, createdAt) = state.withLock { store in
            (store.lastCheckpointID, max(DurableFiles.nowMilliseconds(), store.lastCreatedAtMilliseconds + 1))
        }
        let manifest = CheckpointManifest(
            checkpointID: checkpointID, parentID: parent, descendsFrom: descendsFrom, replaySink: replaySink,
            createdAtMilliseconds: createdAt, application: configuration.application,
            instance: configuration.instance, partitions: entries)
        do {
            try DurableFiles.writeAtomically(try ManifestFile.encode(manifest), to: manifestPath)
        } catch {
            removeWritten()
            throw (error as? CheckpointError)?.naming(checkpointID: checkpointID, partition: nil) ?? error
        }
        state.withLock { store in
            store.planner.written(chains)
            store.lastCheckpointID = checkpointID
            store.lastCreatedAtMilliseconds = createdAt
        }
        return manifest
    }

    /// Starts the state file `path` in `directory`, making the directory first. Instances that
    /// share a checkpoint directory each remove a partition directory they find empty
    /// (retention, `CheckpointStore+Retention`): one removed between our `mkdir` and our
    /// create is made again, a few times, instead of failing the checkpoint ("cannot create
    /// (No such file or directory)", seen with two instances starting together).
    ///
    /// - Parameter afterMakingDirectory: for tests, called with the attempt's number between the
    ///   `mkdir` and the create, where another instance's retention may strike.
    static func createStateFile(
        _ path: String, in directory: String, kind: StateFileKind, recordCount: Int,
        afterMakingDirectory: (Int) -> Void = { _ in }
    ) throws -> StateFileWriter {
        var attempt = 1
        while true {
            try DurableFiles.makeDirectory(directory)
            afterMakingDirectory(attempt)
            do {
                return try StateFileWriter(path: path, kind: kind, recordCount: recordCount)
            } catch {
                guard attempt < 3, !DurableFiles.exists(directory) else { throw error }
                attempt += 1
            }
        }
    }

    /// Writes what `plan` says for one partition; returns the partition's new chain and the path
    /// of the file written, if any.
    private func writeFiles(
        of part: PartitionCheckpoint, plan: ChainPlanner.Plan, checkpointID: String
    ) throws -> (PartitionChain, String?) {
        let snapshot = part.snapshot
        let kind: StateFileKind
        var files: [StateFileReference]
        switch plan {
        case .unchanged(var chain):
            chain.checkpointID = checkpointID
            return (chain, nil)
        case .full:
            kind = .full
            files = []
        case .delta(let chain):
            kind = .delta
            files = chain.files
        }
        let name = CheckpointLayout.stateFileName(checkpointID, kind)
        let path = layout.statePath(part.partition, name)
        let recordCount = kind == .full ? snapshot.count : snapshot.changes.count
        var writer = try Self.createStateFile(path, in: layout.partitionDirectory(part.partition), kind: kind, recordCount: recordCount)
        do {
            if kind == .full {
                // Without folding first: the fold is not needed for the file (record order
                // cannot help a restore, whose hashes are seeded differently) and runs after
                // the checkpoint is durable.
                try snapshot.entries.forEachEntry { key, value in
                    try value.withUnsafeBytes { try writer.put(key, $0) }
                }
            } else {
                for (key, change) in snapshot.changes {
                    if let value = change {
                        try value.withUnsafeBytes { try writer.put(key, $0) }
                    } else {
                        try writer.delete(key)
                    }
                }
            }
            let (size, crc) = try writer.finish()
            files.append(StateFileReference(name: name, kind: kind, size: size, crc32c: crc, recordCount: recordCount))
        } catch {
            writer.abandon()
            throw error
        }
        return (PartitionChain(checkpointID: checkpointID, captureID: snapshot.captureID, files: files), path)
    }

    private func performDiscard(_ checkpointID: String) throws {
        guard CheckpointLayout.isValidName(checkpointID) else { return }
        let manifest = try? readManifest(checkpointID)
        try DurableFiles.remove(layout.manifestPath(checkpointID))
        try DurableFiles.syncDirectory(layout.manifestsDirectory)
        state.withLock { store in
            store.planner.discarded(checkpointID)
            if store.lastCheckpointID == checkpointID { store.lastCheckpointID = manifest?.parentID }
        }
        // Only later checkpoints can reference this one's files, and they descend from a
        // transaction that never committed; still, a file is removed only if no manifest names it.
        let referenced = Self.referencedFiles(Self.listCheckpoints(layout).compactMap(\.manifest))
        for directory in DurableFiles.list(layout.stateDirectory) {
            for kind in [StateFileKind.full, .delta] {
                let name = CheckpointLayout.stateFileName(checkpointID, kind)
                let key = directory + "/" + name
                let path = layout.stateDirectory + "/" + key
                if !referenced.contains(key), DurableFiles.size(path) != nil {
                    try DurableFiles.remove(path)
                    try DurableFiles.syncDirectory(layout.stateDirectory + "/" + directory)
                }
            }
        }
    }

    private func validate(checkpointID: String, partitions: [PartitionCheckpoint]) throws {
        guard CheckpointLayout.isValidName(checkpointID) else {
            throw CheckpointError(
                .invalidArgument, checkpointID: checkpointID, reason: "has an id that cannot name a file",
                remedy: "use letters, digits, '.', '_' and '-', not starting with '.' (e.g. `<instance>-<sequence>`)")
        }
        var seen = Set<PartitionID>()
        for part in partitions {
            guard part.partition.isValidForStorage else {
                throw CheckpointError(
                    .invalidArgument, checkpointID: checkpointID, partition: part.partition,
                    reason: "has a topic name that cannot name a directory",
                    remedy: "use a Kafka topic name: letters, digits, '.', '_', '-'")
            }
            guard seen.insert(part.partition).inserted else {
                throw CheckpointError(
                    .invalidArgument, checkpointID: checkpointID, partition: part.partition,
                    reason: "lists the partition twice", remedy: "pass each assigned partition once")
            }
        }
    }

    /// `<partition directory>/<file name>` for every state file the manifests reference.
    static func referencedFiles(_ manifests: [CheckpointManifest]) -> Set<String> {
        var names = Set<String>()
        for manifest in manifests {
            for partition in manifest.partitions {
                for file in partition.files { names.insert(partition.partitionID.description + "/" + file.name) }
            }
        }
        return names
    }
}
