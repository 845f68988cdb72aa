/// A change of a consumer's assignment, delivered to the consumer's rebalance handler.
///
/// The handler runs synchronously on the thread that called ``KafkaConsumer/poll(maxRecords:timeout:)``,
/// *before* librdkafka applies the change: when it returns from a revocation, the partitions
/// are given up; when it returns from an assignment, fetching starts at the offsets it returned
/// (or, for partitions it did not name, at the committed offset or `auto.offset.reset`), except
/// for partitions it holds paused (``AssignmentStart/paused``).
/// That is the moment a processor commits or aborts its epoch and restores state.
public enum RebalanceEvent: Sendable, Equatable {
    /// These partitions are now this consumer's (in addition to those it had, under the
    /// cooperative protocol; instead of them, under an eager one).
    case assigned([TopicPartition])
    /// These partitions are being taken away. `lost` is true when they were already given to
    /// another member (the session timed out): work on them must be abandoned, not committed.
    case revoked([TopicPartition], lost: Bool)
}
