/// One input partition: the unit whose state a checkpoint stores.
///
/// Checkpointing does not know Kafka; this is the little it needs of a topic-partition. It
/// names the partition's state directory, `<topic>-<partition>`.
public struct PartitionID: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
    /// The topic's name.
    public var topic: String
    /// The partition's number within the topic.
    public var partition: Int32

    /// The partition `partition` of `topic`.
    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    /// `<topic>-<partition>`, as in Kafka's tools and in the state directory's name.
    public var description: String { "\(topic)-\(partition)" }

    /// Orders by topic, then by partition number.
    public static func < (lhs: PartitionID, rhs: PartitionID) -> Bool {
        (lhs.topic, lhs.partition) < (rhs.topic, rhs.partition)
    }

    /// Whether the topic can name a directory: Kafka's own rule (letters, digits, `.`, `_`,
    /// `-`, at most 249 characters, not `.` or `..`) keeps paths inside the store.
    var isValidForStorage: Bool {
        !topic.isEmpty && topic.utf8.count <= 249 && topic != "." && topic != ".."
            && topic.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == 0x2E || byte == 0x5F || byte == 0x2D
            }
    }
}
