/// The id of a checkpoint, unique across an application: `<instance>-<sequence>`.
///
/// The sequence grows by one per checkpoint attempt of an instance, so ids order by time
/// within an instance and are never reused, even for attempts that were aborted.
public struct CheckpointID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The instance that took the checkpoint.
    public let instance: String
    /// The instance's checkpoint sequence number, from 1.
    public let sequence: UInt64

    /// The checkpoint `sequence` of `instance`.
    public init(instance: String, sequence: UInt64) {
        self.instance = instance
        self.sequence = sequence
    }

    /// Parses `<instance>-<sequence>`; the instance may itself contain dashes.
    public init?(_ text: String) {
        guard let dash = text.lastIndex(of: "-"),
              let sequence = UInt64(text[text.index(after: dash)...]),
              dash > text.startIndex
        else { return nil }
        instance = String(text[..<dash])
        self.sequence = sequence
    }

    /// The id of the next checkpoint of the same instance.
    public var next: CheckpointID {
        CheckpointID(instance: instance, sequence: sequence + 1)
    }

    /// Ordered by instance, then sequence.
    public static func < (lhs: CheckpointID, rhs: CheckpointID) -> Bool {
        (lhs.instance, lhs.sequence) < (rhs.instance, rhs.sequence)
    }

    public var description: String { "\(instance)-\(sequence)" }
}
