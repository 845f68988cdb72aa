/// Which checkpoints retention keeps: the newest N plus the pinned ones. Pure: no I/O.
struct RetentionPolicy: Sendable, Equatable {
    /// How many of the newest checkpoints to keep.
    var keepNewest: Int
    /// Checkpoints kept whatever their age (those a committed offset still names).
    var pinned: Set<String>

    /// Splits `newestFirst` (checkpoint ids, newest first) into kept and removed, each in the
    /// same order.
    func apply(toNewestFirst newestFirst: [String]) -> (kept: [String], removed: [String]) {
        var kept: [String] = []
        var removed: [String] = []
        for (rank, checkpointID) in newestFirst.enumerated() {
            if rank < keepNewest || pinned.contains(checkpointID) {
                kept.append(checkpointID)
            } else {
                removed.append(checkpointID)
            }
        }
        return (kept, removed)
    }
}
