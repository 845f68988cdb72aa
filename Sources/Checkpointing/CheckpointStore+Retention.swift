extension CheckpointStore {
    /// Keeps the newest `keepNewest` checkpoints and every checkpoint in `pinned`, removes the
    /// other manifests, then removes every state file that no kept manifest references
    /// (including orphans of crashed writes) and every temporary file of an interrupted write,
    /// except files younger than the configured grace period.
    ///
    /// Runs on the store's write queue, after any write already asked for; blocks the caller.
    /// A kept manifest that cannot be read protects nothing: its files may be removed.
    public func applyRetentionAndWait(keepNewest: Int, pinned: Set<String>) throws -> RetentionReport {
        try writeQueue.sync { try performRetention(RetentionPolicy(keepNewest: keepNewest, pinned: pinned)) }
    }

    /// `async` ``applyRetentionAndWait(keepNewest:pinned:)``.
    public func applyRetention(keepNewest: Int, pinned: Set<String>) async throws -> RetentionReport {
        try await withCheckedThrowingContinuation { continuation in
            writeQueue.async {
                continuation.resume(
                    with: Result { try self.performRetention(RetentionPolicy(keepNewest: keepNewest, pinned: pinned)) })
            }
        }
    }

    /// Keeps the checkpoints `choose` picks from the store's listing (newest first) and removes
    /// the rest, as ``applyRetentionAndWait(keepNewest:pinned:)`` does with its pins.
    ///
    /// `choose` runs on the store's write queue with a listing taken there, so no write can
    /// land between the choice and the removal: a checkpoint written meanwhile is either in
    /// the listing (and `choose` sees it) or written afterwards (and untouched). Blocks the caller.
    public func applyRetentionAndWait(
        keeping choose: ([CheckpointListing]) throws -> Set<String>
    ) throws -> RetentionReport {
        try writeQueue.sync {
            let listings = listCheckpoints()
            return try performRetention(RetentionPolicy(keepNewest: 0, pinned: choose(listings)), listings: listings)
        }
    }

    private func performRetention(_ policy: RetentionPolicy, listings: [CheckpointListing]? = nil) throws -> RetentionReport {
        let listings = listings ?? listCheckpoints()
        let (kept, removed) = policy.apply(toNewestFirst: listings.map(\.checkpointID))
        for checkpointID in removed {
            try DurableFiles.remove(layout.manifestPath(checkpointID))
        }
        if !removed.isEmpty { try DurableFiles.syncDirectory(layout.manifestsDirectory) }
        let keptSet = Set(kept)
        let referenced = Self.referencedFiles(listings.filter { keptSet.contains($0.checkpointID) }.compactMap(\.manifest))
        let grace = configuration.orphanGracePeriod
        func oldEnough(_ path: String) -> Bool { (DurableFiles.age(path) ?? 0) >= grace }

        var removedFiles: [String] = []
        var removedTemporary: [String] = []
        for path in temporaryFiles() where oldEnough(path) {
            try DurableFiles.remove(path)
            removedTemporary.append(path)
        }
        for directory in DurableFiles.list(layout.stateDirectory) {
            let directoryPath = layout.stateDirectory + "/" + directory
            var changed = false
            for name in DurableFiles.list(directoryPath) where !name.hasPrefix(DurableFiles.temporaryPrefix) {
                let path = directoryPath + "/" + name
                if !referenced.contains(directory + "/" + name) && oldEnough(path) {
                    try DurableFiles.remove(path)
                    removedFiles.append(path)
                    changed = true
                }
            }
            if changed { try DurableFiles.syncDirectory(directoryPath) }
            if DurableFiles.list(directoryPath).isEmpty {
                DurableFiles.removeDirectoryIfEmpty(directoryPath)
                try DurableFiles.syncDirectory(layout.stateDirectory)
            }
        }
        state.withLock { store in
            store.planner.keepOnly { partition, name in referenced.contains(partition.description + "/" + name) }
        }
        return RetentionReport(
            keptCheckpoints: kept, removedCheckpoints: removed, removedFiles: removedFiles,
            removedTemporaryFiles: removedTemporary)
    }
}
