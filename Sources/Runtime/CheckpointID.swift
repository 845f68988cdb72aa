/// The id of a checkpoint, unique across an application: `<instance>-<incarnation>.<sequence>`.
///
/// The *incarnation* is claimed from the checkpoint store each time a process starts, atomically
/// (two processes can never get the same one, even with the same instance id: a zombie and its
/// replacement write to the same store). The *sequence* grows by one per checkpoint attempt of
/// the incarnation. Ids therefore order by time within an instance and are never reused, even
/// for attempts that were aborted.
public struct CheckpointID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The instance that took the checkpoint (its transactional id).
    public let instance: String
    /// The process start that took it, claimed from the store.
    public let incarnation: UInt32
    /// The incarnation's checkpoint sequence number, from 1.
    public let sequence: UInt64

    /// The checkpoint `sequence` of `instance`'s `incarnation`.
    public init(instance: String, incarnation: UInt32 = 0, sequence: UInt64) {
        self.instance = instance
        self.incarnation = incarnation
        self.sequence = sequence
    }

    /// Parses `<instance>-<incarnation>.<sequence>` (or `<instance>-<sequence>` for incarnation
    /// 0); the instance may itself contain dashes.
    public init?(_ text: String) {
        guard let dash = text.lastIndex(of: "-"), dash > text.startIndex else { return nil }
        let tail = text[text.index(after: dash)...]
        let parts = tail.split(separator: ".", omittingEmptySubsequences: false)
        switch parts.count {
        case 1:
            guard let sequence = UInt64(parts[0]) else { return nil }
            incarnation = 0
            self.sequence = sequence
        case 2:
            guard let incarnation = UInt32(parts[0]), let sequence = UInt64(parts[1]) else { return nil }
            self.incarnation = incarnation
            self.sequence = sequence
        default:
            return nil
        }
        instance = String(text[..<dash])
    }

    /// The id of the next checkpoint of the same incarnation.
    public var next: CheckpointID {
        CheckpointID(instance: instance, incarnation: incarnation, sequence: sequence + 1)
    }

    /// Ordered by instance, then incarnation, then sequence.
    public static func < (lhs: CheckpointID, rhs: CheckpointID) -> Bool {
        (lhs.instance, lhs.incarnation, lhs.sequence) < (rhs.instance, rhs.incarnation, rhs.sequence)
    }

    public var description: String {
        incarnation == 0 ? "\(instance)-\(sequence)" : "\(instance)-\(incarnation).\(sequence)"
    }
}
