/// Where a replay forked a partition's history: `--replay-from-checkpoint` restored the
/// partition from checkpoint ``replayOf`` (at input offset ``at``) and wrote what followed into
/// ``sink``. The history the replay left (the checkpoints written after that offset before the
/// replay) is abandoned: its state was built by the run the replay redid.
///
/// Every checkpoint records, per partition, the forks of the history its state belongs to,
/// oldest first: a replay adds one, every later checkpoint of that state (the replay's own, and
/// those of runs that go on from it) inherits them. Recovery falls back only to checkpoints of
/// the same history (``allows(_:at:under:)``).
public struct ReplayFork: Sendable, Codable, Hashable, CustomStringConvertible {
    /// The checkpoint the replay started from.
    public var replayOf: String
    /// The partition's next input offset in that checkpoint: below it, the two histories are one.
    public var at: Int64
    /// The topic the replay wrote to.
    public var sink: String

    /// The fork of a replay of `replayOf` at `at` into `sink`.
    public init(replayOf: String, at: Int64, sink: String) {
        self.replayOf = replayOf
        self.at = at
        self.sink = sink
    }

    public var description: String { "the replay of checkpoint \(replayOf) into `\(sink)` (from offset \(at))" }

    /// Whether a checkpoint whose partition has `forks` and next offset `offset` holds a state of
    /// the history `lineage` names (its forks, oldest first): the same forks, or a prefix of them
    /// with the offset at or below every later fork's (the history all of them share, up to the
    /// checkpoint the earliest of those replays started from, which is itself allowed). A later
    /// fork can lie below an earlier one: a replay from a checkpoint a muted fallback wrote below
    /// the fork it recovered in. A checkpoint of a history a replay left is not allowed, and
    /// neither is one of another replay's history.
    public static func allows(_ forks: [ReplayFork], at offset: Int64, under lineage: [ReplayFork]) -> Bool {
        guard forks.count <= lineage.count, lineage.starts(with: forks) else { return false }
        return lineage[forks.count...].allSatisfy { offset <= $0.at }
    }
}
