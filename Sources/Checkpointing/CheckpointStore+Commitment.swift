extension CheckpointStore {
    /// Records that checkpoint `checkpointID`'s Kafka transaction committed, as an empty marker
    /// file `<root>/committed/<id>` written durably.
    ///
    /// Recovery needs it for one case: Kafka has no committed offset for a partition but the
    /// store has checkpoints of it. Without a marked one, those were never committed (a crash
    /// before the first commit) and a fresh start is right; with one, the group's offsets were
    /// lost and starting fresh would duplicate output. Markers of checkpoints that no longer
    /// exist are removed at the same time.
    public func markCommittedAndWait(_ checkpointID: String) throws {
        guard CheckpointLayout.isValidName(checkpointID) else {
            throw CheckpointError(.invalidArgument, checkpointID: checkpointID, reason: "not a checkpoint id", remedy: "use the id the store wrote")
        }
        try writeQueue.sync {
            try DurableFiles.makeDirectory(committedDirectory)
            try DurableFiles.writeAtomically([], to: committedDirectory + "/" + checkpointID)
            for marker in DurableFiles.list(committedDirectory) where !marker.hasPrefix(".") {
                if DurableFiles.size(layout.manifestPath(marker)) == nil {
                    try DurableFiles.remove(committedDirectory + "/" + marker)
                }
            }
        }
    }

    /// The checkpoints marked committed by ``markCommittedAndWait(_:)``.
    public func committedCheckpointIDs() -> Set<String> {
        Set(DurableFiles.list(committedDirectory).filter { !$0.hasPrefix(".") })
    }

    private var committedDirectory: String { layout.root + "/committed" }
}
