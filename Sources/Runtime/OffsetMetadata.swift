import Checkpointing

/// The metadata string Exactly commits with each partition's offset, in the same transaction:
/// it names the checkpoint that holds the partition's state at that offset, and the replays
/// that state's history went through.
///
/// Format: `exactly/1 checkpoint=<id>` for a history without replays (the metadata it always
/// was); `exactly/2 checkpoint=<id>` then ` fork=<offset>:<checkpoint>:<topic>` for each
/// ``ReplayFork``, oldest first, for one with replays. The prefix tells Exactly's commits apart
/// from offsets committed by other tools for the same group. The forks let recovery keep to the
/// committed history even when the checkpoint named is gone; the version changes with them so
/// that a build from before them reads such metadata as another program's and refuses it, rather
/// than take a checkpoint id out of it and recover ignoring the history.
public enum OffsetMetadata {
    static let prefix = "exactly/1 checkpoint="
    static let prefixWithForks = "exactly/2 checkpoint="
    static let forkPrefix = "fork="
    /// Kafka's default `offset.metadata.max.bytes`: a commit with longer metadata is refused.
    public static let maximumLength = 4096

    /// The metadata naming `checkpoint`, of a history that went through `forks`.
    public static func encode(_ checkpoint: CheckpointID, forks: [ReplayFork] = []) -> String {
        var text = (forks.isEmpty ? prefix : prefixWithForks) + checkpoint.description
        for fork in forks { text += " \(forkPrefix)\(fork.at):\(fork.replayOf):\(fork.sink)" }
        return text
    }

    /// What a committed metadata string says.
    public enum Decoded: Sendable, Equatable {
        /// Committed by Exactly, naming this checkpoint.
        case checkpoint(CheckpointID)
        /// Committed by something else (or by hand): the text as found.
        case foreign(String)
    }

    /// Reads a committed metadata string.
    public static func decode(_ metadata: String) -> Decoded {
        guard let (id, _) = parse(metadata) else { return .foreign(metadata) }
        return .checkpoint(id)
    }

    /// The forks a committed metadata string records (empty for a history without replays);
    /// `nil` when the metadata is not Exactly's.
    public static func forks(in metadata: String) -> [ReplayFork]? {
        parse(metadata)?.forks
    }

    private static func parse(_ metadata: String) -> (id: CheckpointID, forks: [ReplayFork])? {
        let withForks = metadata.hasPrefix(prefixWithForks)
        guard withForks || metadata.hasPrefix(prefix) else { return nil }
        let words = metadata.dropFirst(prefix.count).split(separator: " ", omittingEmptySubsequences: false)
        guard let first = words.first, let id = CheckpointID(String(first)), withForks == (words.count > 1) else { return nil }
        var forks: [ReplayFork] = []
        for word in words.dropFirst() {
            // <offset>:<checkpoint>:<topic>; neither a checkpoint id nor a topic name holds a colon.
            guard word.hasPrefix(forkPrefix) else { return nil }
            let parts = word.dropFirst(forkPrefix.count).split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 3, let at = Int64(parts[0]), !parts[1].isEmpty, !parts[2].isEmpty else { return nil }
            forks.append(ReplayFork(replayOf: String(parts[1]), at: at, sink: String(parts[2])))
        }
        return (id, forks)
    }
}
