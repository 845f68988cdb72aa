/// Where a consumer starts reading the partitions of an assignment: the rebalance handler's
/// answer to ``RebalanceEvent/assigned(_:)``.
///
/// A dictionary literal names start offsets only (`[:]` starts every partition at its
/// committed offset).
public struct AssignmentStart: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    /// The offset to start each named partition at; partitions not named (and not paused)
    /// start at their committed offset, or by `auto.offset.reset` where none is committed.
    public var offsets: [TopicPartition: Int64]
    /// Partitions assigned but not read until the caller positions them with
    /// ``KafkaConsumer/seek(_:timeout:)`` and lets them go with ``KafkaConsumer/resume(_:)``:
    /// for a caller that cannot tell where to start yet (their committed offsets are not
    /// readable). They are paused before they are assigned, at an offset nothing reads:
    /// librdkafka neither reads their committed offsets nor looks up where their log starts
    /// or ends, so no answer it gets later moves them behind the caller's seek. A partition
    /// revoked while held is let go after it is unassigned; the caller need not resume it.
    public var paused: Set<TopicPartition>

    /// Start offsets for some partitions, and partitions to hold paused.
    public init(offsets: [TopicPartition: Int64] = [:], paused: Set<TopicPartition> = []) {
        self.offsets = offsets
        self.paused = paused
    }

    public init(dictionaryLiteral elements: (TopicPartition, Int64)...) {
        self.init(offsets: Dictionary(elements, uniquingKeysWith: { $1 }))
    }
}
