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

    deinit {
        rd_kafka_consumer_group_metadata_destroy(pointer)
    }
}
