/// The metadata string Exactly commits with each partition's offset, in the same transaction:
/// it names the checkpoint that holds the partition's state at that offset.
///
/// Format: `exactly/1 checkpoint=<id>`. The prefix tells Exactly's commits apart from offsets
/// committed by other tools for the same group.
public enum OffsetMetadata {
    static let prefix = "exactly/1 checkpoint="

    /// The metadata naming `checkpoint`.
    public static func encode(_ checkpoint: CheckpointID) -> String {
        prefix + checkpoint.description
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
        guard metadata.hasPrefix(prefix), let id = CheckpointID(String(metadata.dropFirst(prefix.count))) else {
            return .foreign(metadata)
        }
        return .checkpoint(id)
    }
}
