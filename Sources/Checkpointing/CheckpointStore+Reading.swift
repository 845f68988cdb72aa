import Dispatch
import KeyedState
import Synchronization

extension CheckpointStore {
    /// Every checkpoint whose manifest file exists, newest first (by creation time, then id).
    /// Manifests that do not verify are listed with their ``CheckpointListing/problem``;
    /// temporary files of interrupted writes are not listed (see ``verifyAll()``).
    public func listCheckpoints() -> [CheckpointListing] {
        Self.listCheckpoints(layout)
    }

    /// The verified manifest of checkpoint `checkpointID`.
    ///
    /// - Throws: ``CheckpointError``: `manifestMissing`, `incompleteWrite` (only a temporary file
    ///   of it exists: its write was torn), `manifestCorrupt`, `unsupportedFormatVersion`.
    public func manifest(_ checkpointID: String) throws -> CheckpointManifest {
        try readManifest(checkpointID)
    }

    /// Every problem with checkpoint `checkpointID`: its manifest, and every state file of every
    /// partition (existence, size, CRC-32C, trailer, header). Empty when it verifies.
    public func verify(_ checkpointID: String) -> [CheckpointError] {
        let manifest: CheckpointManifest
        do { manifest = try readManifest(checkpointID) } catch { return [asCheckpointError(error, checkpointID)] }
        return manifest.partitions.flatMap { verify(manifest, $0.partitionID) }
    }

    /// The problems with partition `partition` in checkpoint `checkpointID`. Empty when it
    /// verifies.
    public func verify(_ checkpointID: String, partition: PartitionID) -> [CheckpointError] {
        do {
            return verify(try readManifest(checkpointID), partition)
        } catch {
            return [asCheckpointError(error, checkpointID).naming(checkpointID: checkpointID, partition: partition)]
        }
    }

    /// Every problem in the store: every listed checkpoint's, and each temporary file left by an
    /// interrupted write (code `incompleteWrite`; retention removes them).
    public func verifyAll() -> [CheckpointError] {
        var problems = listCheckpoints().flatMap { verify($0.checkpointID) }
        for path in temporaryFiles() {
            problems.append(
                CheckpointError(
                    .incompleteWrite, checkpointID: Self.checkpointIDOfTemporary(path), file: path,
                    reason: "left a temporary file: a write was interrupted and never completed",
                    remedy: "nothing reads it; retention removes it after the grace period"))
        }
        return problems
    }

    /// `async` ``verify(_:)``, run on the store's reading queue.
    public func verifyInBackground(_ checkpointID: String) async -> [CheckpointError] {
        await withCheckedContinuation { continuation in
            readQueue.async { continuation.resume(returning: self.verify(checkpointID)) }
        }
    }

    /// The state of `partition` as of checkpoint `checkpointID`, after verifying the manifest and
    /// every file of the partition's chain. When this store's instance wrote the checkpoint, the
    /// store adopts that chain, so the restored state's next snapshot is written as a delta on it;
    /// another instance's chain is not adopted, and the next snapshot is a full base.
    ///
    /// Another instance's retention may remove that chain's files at any time until a manifest
    /// of this store references them (it knows nothing of this restore), and a delta written on
    /// them then leaves checkpoints that do not restore, up to the chain's length. This store's
    /// own retention forgets the chains it removes files of.
    ///
    /// - Throws: ``CheckpointError`` naming the checkpoint, partition, file and numbers.
    public func restore(_ partition: PartitionID, from checkpointID: String) throws -> RestoredPartition {
        let manifest = try readManifest(checkpointID)
        let entry = try partitionEntry(manifest, partition)
        let entries = try readEntries(entry, checkpointID: checkpointID)
        let captureID = CaptureID(rawValue: entry.captureID)
        let own = manifest.instance == configuration.instance
        state.withLock { store in
            if own {
                store.planner.adopted(
                    partition, PartitionChain(checkpointID: checkpointID, captureID: captureID, files: entry.files))
            } else {
                store.planner.forget(partition)
            }
        }
        return RestoredPartition(
            partition: partition, checkpointID: checkpointID, nextOffset: entry.nextOffset,
            state: PartitionState(restoring: entries, asOf: captureID))
    }

    /// ``restore(_:from:)`` for several partitions at once, read in parallel on dispatch's
    /// worker threads. Throws the first partition's error, in `partitions` order.
    public func restore(_ partitions: [PartitionID], from checkpointID: String) throws -> [RestoredPartition] {
        let results = Mutex([Result<RestoredPartition, any Error>?](repeating: nil, count: partitions.count))
        DispatchQueue.concurrentPerform(iterations: partitions.count) { index in
            let result = Result { try self.restore(partitions[index], from: checkpointID) }
            results.withLock { $0[index] = result }
        }
        return try results.withLock { $0 }.map { try $0!.get() }
    }

    /// `async` ``restore(_:from:)``, run on the store's reading queue.
    public func restoreInBackground(_ partition: PartitionID, from checkpointID: String) async throws -> RestoredPartition {
        try await withCheckedThrowingContinuation { continuation in
            readQueue.async { continuation.resume(with: Result { try self.restore(partition, from: checkpointID) }) }
        }
    }

    /// Restores `partition` from the newest checkpoint that holds it and verifies, trying
    /// `checkpointID` first and then only checkpoints older than it (newer ones may hold state
    /// whose transaction never committed).
    ///
    /// "Older" is decided by the manifest's creation time when `checkpointID`'s manifest reads.
    /// When it is missing or corrupt, by the id: with ids of the form `<instance>-<sequence>`,
    /// the same instance's checkpoints with a smaller sequence, and other instances'
    /// checkpoints created no later than the newest of those. Otherwise no fallback is guessed.
    ///
    /// - Returns: the restored partition and, in order, why each newer candidate was skipped.
    /// - Throws: ``CheckpointError`` `noUsableCheckpoint` listing every candidate's problem.
    public func restoreNewestVerified(
        _ partition: PartitionID, startingAt checkpointID: String
    ) throws -> (restored: RestoredPartition, skipped: [CheckpointError]) {
        var skipped: [CheckpointError] = []
        do {
            return (try restore(partition, from: checkpointID), [])
        } catch {
            skipped.append(asCheckpointError(error, checkpointID).naming(checkpointID: checkpointID, partition: partition))
        }
        guard let candidates = checkpoints(olderThan: checkpointID) else {
            throw CheckpointError(
                .noUsableCheckpoint, checkpointID: checkpointID, partition: partition,
                reason: "cannot be read and its id is not `<instance>-<sequence>`, so which checkpoints are older is unknown: \(skipped[0].reason)",
                remedy: "restore from an explicit older checkpoint id, or replay from the committed offset")
        }
        for listing in candidates {
            guard listing.manifest.map({ $0.partition(partition) != nil }) ?? true else { continue }
            do {
                return (try restore(partition, from: listing.checkpointID), skipped)
            } catch {
                skipped.append(asCheckpointError(error, listing.checkpointID).naming(checkpointID: listing.checkpointID, partition: partition))
            }
        }
        throw CheckpointError(
            .noUsableCheckpoint, checkpointID: checkpointID, partition: partition,
            reason: "and every older checkpoint holding the partition fail: "
                + skipped.map(\.description).joined(separator: " | "),
            remedy: "start the partition afresh or replay from an earlier offset; never guess")
    }

    /// Calls `body` with every entry of `partition` as of checkpoint `checkpointID`, sorted by
    /// key, after verifying the chain. Does not change which chain the store extends.
    public func dump(
        _ partition: PartitionID, from checkpointID: String, _ body: (StateKey, StateValue) throws -> Void
    ) throws {
        let manifest = try readManifest(checkpointID)
        let entries = try readEntries(try partitionEntry(manifest, partition), checkpointID: checkpointID)
        for (key, value) in entries.sorted(by: { $0.key < $1.key }) { try body(key, value) }
    }

    /// How checkpoint `to` differs from checkpoint `from`, partition by partition.
    public func diff(from: String, to: String) throws -> CheckpointDiff {
        CheckpointDiff(from: try readManifest(from), to: try readManifest(to))
    }

    // MARK: Internals

    static func listCheckpoints(_ layout: CheckpointLayout) -> [CheckpointListing] {
        var listings: [CheckpointListing] = []
        for name in DurableFiles.list(layout.manifestsDirectory)
        where name.hasSuffix(".json") && !name.hasPrefix(DurableFiles.temporaryPrefix) {
            let checkpointID = String(name.dropLast(5))
            let path = layout.manifestsDirectory + "/" + name
            do {
                let manifest = try readManifest(layout, checkpointID)
                listings.append(
                    CheckpointListing(
                        checkpointID: checkpointID, manifest: manifest, problem: nil,
                        createdAtMilliseconds: manifest.createdAtMilliseconds))
            } catch {
                let age = DurableFiles.age(path) ?? 0
                let modified = Int64((Double(DurableFiles.nowMilliseconds()) - age * 1000))
                listings.append(
                    CheckpointListing(
                        checkpointID: checkpointID, manifest: nil, problem: error as? CheckpointError,
                        createdAtMilliseconds: modified))
            }
        }
        return listings.sorted {
            ($0.createdAtMilliseconds, $0.checkpointID) > ($1.createdAtMilliseconds, $1.checkpointID)
        }
    }

    static func readManifest(_ layout: CheckpointLayout, _ checkpointID: String) throws -> CheckpointManifest {
        guard CheckpointLayout.isValidName(checkpointID) else {
            throw CheckpointError(
                .invalidArgument, checkpointID: checkpointID, reason: "is not a valid checkpoint id",
                remedy: "list the store's checkpoints to find the id")
        }
        let path = layout.manifestPath(checkpointID)
        guard let bytes = try DurableFiles.readAll(path) else {
            let leftovers = temporaryFiles(layout).filter { checkpointIDOfTemporary($0) == checkpointID }
            if let leftover = leftovers.first {
                throw CheckpointError(
                    .incompleteWrite, checkpointID: checkpointID, file: leftover,
                    reason: "was never completed: it has no manifest, only temporary files (a torn write)",
                    remedy: "restore from an older checkpoint; retention removes the leftover")
            }
            throw CheckpointError(
                .manifestMissing, checkpointID: checkpointID, file: path, reason: "has no manifest",
                remedy: "restore from an older checkpoint (restoreNewestVerified)")
        }
        return try ManifestFile.decode(bytes, path: path, checkpointID: checkpointID)
    }

    func readManifest(_ checkpointID: String) throws -> CheckpointManifest {
        try Self.readManifest(layout, checkpointID)
    }

    /// Paths of every temporary file in the store (manifests and state).
    func temporaryFiles() -> [String] {
        Self.temporaryFiles(layout)
    }

    static func temporaryFiles(_ layout: CheckpointLayout) -> [String] {
        var paths = DurableFiles.list(layout.manifestsDirectory)
            .filter { $0.hasPrefix(DurableFiles.temporaryPrefix) }
            .map { layout.manifestsDirectory + "/" + $0 }
        for directory in DurableFiles.list(layout.stateDirectory) {
            let full = layout.stateDirectory + "/" + directory
            paths += DurableFiles.list(full).filter { $0.hasPrefix(DurableFiles.temporaryPrefix) }.map { full + "/" + $0 }
        }
        return paths
    }

    /// The checkpoint id a temporary file was written for: `.tmp-<tag>-<id>.<ext>`.
    static func checkpointIDOfTemporary(_ path: String) -> String? {
        let name = DurableFiles.fileName(of: path).dropFirst(DurableFiles.temporaryPrefix.count)
        guard let dash = name.firstIndex(of: "-"), let dot = name.lastIndex(of: "."), dash < dot else { return nil }
        return String(name[name.index(after: dash)..<dot])
    }

    /// The checkpoints older than `checkpointID`, newest first; `nil` when that cannot be known.
    func checkpoints(olderThan checkpointID: String) -> [CheckpointListing]? {
        let listings = listCheckpoints().filter { $0.checkpointID != checkpointID }
        if let manifest = try? readManifest(checkpointID) {
            return listings.filter {
                ($0.createdAtMilliseconds, $0.checkpointID) < (manifest.createdAtMilliseconds, checkpointID)
            }
        }
        guard let (instance, sequence) = Self.instanceAndSequence(checkpointID) else { return nil }
        let sameInstanceOlder = listings.filter {
            guard let (other, number) = Self.instanceAndSequence($0.checkpointID) else { return false }
            return other == instance && number < sequence
        }
        let bound = sameInstanceOlder.map(\.createdAtMilliseconds).max() ?? Int64.min
        return listings.filter { listing in
            sameInstanceOlder.contains { $0.checkpointID == listing.checkpointID }
                || (Self.instanceAndSequence(listing.checkpointID)?.0 != instance && listing.createdAtMilliseconds <= bound)
        }
    }

    /// `("i1", 7)` for `i1-7`; `nil` for an id not of the form `<instance>-<sequence>`.
    static func instanceAndSequence(_ checkpointID: String) -> (String, Int)? {
        guard let dash = checkpointID.lastIndex(of: "-"),
              let sequence = Int(checkpointID[checkpointID.index(after: dash)...])
        else { return nil }
        return (String(checkpointID[..<dash]), sequence)
    }

    func partitionEntry(_ manifest: CheckpointManifest, _ partition: PartitionID) throws -> PartitionManifest {
        guard let entry = manifest.partition(partition) else {
            throw CheckpointError(
                .partitionNotInCheckpoint, checkpointID: manifest.checkpointID, partition: partition,
                reason: "does not hold the partition (it holds \(manifest.partitions.map(\.partitionID.description).joined(separator: ", ")))",
                remedy: "restore the partition from a checkpoint taken while it was assigned")
        }
        return entry
    }

    /// Reads and applies the partition's chain, checking every file before decoding it.
    func readEntries(_ entry: PartitionManifest, checkpointID: String) throws -> StateMap {
        let partition = entry.partitionID
        var entries = StateMap()
        do {
            try checkChainShape(entry)
            for reference in entry.files {
                let path = layout.statePath(partition, reference.name)
                guard let bytes = try StateFileReader.bytes(at: path, reference: reference) else { throw missing(path, reference) }
                if reference.kind == .full {
                    // Sized by the manifest's count, but never beyond what the file can hold
                    // (a record takes at least a byte): a wrong count must not allocate wildly.
                    var load = StateMap.Load(capacity: min(reference.recordCount, bytes.count))
                    try StateFileReader.read(bytes, path: path, reference: reference) { record in
                        load.append(StateKey(copying: record.key), StateValue(copying: record.value!))
                    }
                    entries = load.build()
                    continue
                }
                try StateFileReader.read(bytes, path: path, reference: reference) { record in
                    let key = StateKey(copying: record.key)
                    if let value = record.value {
                        entries[key] = StateValue(copying: value)
                    } else {
                        entries.removeValue(forKey: key)
                    }
                }
            }
        } catch {
            throw asCheckpointError(error, checkpointID).naming(checkpointID: checkpointID, partition: partition)
        }
        guard entries.count == entry.keyCount else {
            throw CheckpointError(
                .keyCountMismatch, checkpointID: checkpointID, partition: partition,
                reason: "restores \(entries.count) keys but its manifest records \(entry.keyCount)",
                remedy: "the chain does not add up; restore from an older checkpoint")
        }
        return entries
    }

    private func verify(_ manifest: CheckpointManifest, _ partition: PartitionID) -> [CheckpointError] {
        let entry: PartitionManifest
        do { entry = try partitionEntry(manifest, partition) } catch { return [asCheckpointError(error, manifest.checkpointID)] }
        var problems: [CheckpointError] = []
        do { try checkChainShape(entry) } catch { problems.append(asCheckpointError(error, manifest.checkpointID)) }
        for reference in entry.files {
            let path = layout.statePath(partition, reference.name)
            do {
                guard let bytes = try StateFileReader.bytes(at: path, reference: reference) else { throw missing(path, reference) }
                try StateFileReader.check(bytes, path: path, reference: reference)
            } catch {
                problems.append(
                    asCheckpointError(error, manifest.checkpointID)
                        .naming(checkpointID: manifest.checkpointID, partition: partition))
            }
        }
        return problems
    }

    private func checkChainShape(_ entry: PartitionManifest) throws {
        let kinds = entry.files.map(\.kind)
        guard kinds.first == .full, !kinds.dropFirst().contains(.full) else {
            throw CheckpointError(
                .manifestCorrupt, partition: entry.partitionID,
                reason: "lists a chain that is not one full base followed by deltas (\(kinds.map(\.rawValue)))",
                remedy: "restore from an older checkpoint")
        }
    }

    private func missing(_ path: String, _ reference: StateFileReference) -> CheckpointError {
        CheckpointError(
            .fileMissing, file: path, expectedSize: reference.size, actualSize: 0,
            reason: "is missing a state file its manifest lists",
            remedy: "the file was deleted outside the store; restore from an older checkpoint")
    }

    func asCheckpointError(_ error: any Error, _ checkpointID: String) -> CheckpointError {
        if let error = error as? CheckpointError { return error.naming(checkpointID: checkpointID, partition: nil) }
        return CheckpointError(
            .ioFailure, checkpointID: checkpointID, reason: "failed: \(error)", remedy: "see the underlying error")
    }
}
