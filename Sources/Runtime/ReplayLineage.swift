import Checkpointing

/// A replay as the checkpoints it writes record it: the checkpoint it started from and the topic
/// it writes to. A restart with the same arguments is the same replay (it resumes); the same
/// checkpoint replayed into another topic is another replay.
public struct ReplayLineage: Sendable, Hashable, CustomStringConvertible {
    /// The checkpoint the replay started from.
    public let checkpoint: CheckpointID
    /// The topic it writes to; `nil` in manifests written before the topic was recorded
    /// (2026-11-26): such a replay is no replay of a known topic (the command line refuses to
    /// guess whether a start resumes it).
    public let sink: String?

    /// The replay of `checkpoint` into `sink`.
    public init(checkpoint: CheckpointID, sink: String?) {
        self.checkpoint = checkpoint
        self.sink = sink
    }

    /// The replay `manifest` records, if it was written by one.
    init?(recordedIn manifest: CheckpointManifest) {
        guard let checkpoint = manifest.descendsFrom.flatMap(CheckpointID.init) else { return nil }
        self.init(checkpoint: checkpoint, sink: manifest.replaySink)
    }

    /// Whether this recorded replay is `running`: the same checkpoint, into the same topic.
    public func isSameReplay(as running: ReplayLineage) -> Bool {
        checkpoint == running.checkpoint && sink != nil && sink == running.sink
    }

    /// Whether `fork`, recorded in a partition's history, is this replay's.
    public func forked(_ fork: ReplayFork) -> Bool {
        fork.replayOf == checkpoint.description && sink != nil && fork.sink == sink
    }

    public var description: String { "the replay of checkpoint \(checkpoint)" + (sink.map { " into `\($0)`" } ?? "") }
}
