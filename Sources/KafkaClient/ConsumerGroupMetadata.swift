import CRdKafka

/// A consumer's group membership (group id, generation, member id) at one moment, as a
/// transactional producer needs it to commit that group's offsets.
///
/// Owns the underlying librdkafka object and frees it when released.
public final class ConsumerGroupMetadata: @unchecked Sendable {
    // @unchecked: the pointer is immutable, and librdkafka only reads the object after creation.
    let pointer: OpaquePointer

    init(taking pointer: OpaquePointer) {
        self.pointer = pointer
    }

    /// Metadata naming only `groupID`, with no member and no generation: the broker accepts
    /// offsets committed with it from any transactional producer, without checking membership
    /// (KIP-447's fencing applies only to a member). For tools and tests that commit a group's
    /// offsets without consuming as one of its members.
    public convenience init(groupID: String) {
        self.init(taking: rd_kafka_consumer_group_metadata_new(groupID))
    }

    deinit {
        rd_kafka_consumer_group_metadata_destroy(pointer)
    }
}
