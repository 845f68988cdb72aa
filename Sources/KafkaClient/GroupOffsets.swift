/// A group's committed offsets as ``KafkaConsumer/committedOrHeld(_:timeout:)`` reads them.
public struct GroupOffsets: Sendable, Equatable {
    /// The committed offset of each partition that has one and that no transaction holds.
    public var committed: [TopicPartition: PartitionOffset] = [:]
    /// The partitions whose offsets a transaction still holds (`UNSTABLE_OFFSET_COMMIT`): an
    /// offset for them may yet commit, so nobody may read on from them until it is decided.
    public var held: Set<TopicPartition> = []

    public init(committed: [TopicPartition: PartitionOffset] = [:], held: Set<TopicPartition> = []) {
        self.committed = committed
        self.held = held
    }
}
