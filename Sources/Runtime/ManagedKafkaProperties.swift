/// The librdkafka properties the runtime sets itself, which `kafka.properties` may not set.
///
/// Pass-through properties are applied after the runtime's own, so each of these would
/// silently replace a setting exactly-once depends on: `enable.auto.commit` commits offsets
/// outside the checkpoint's transaction (recovery then restores a checkpoint that does not match
/// them), `isolation.level: read_uncommitted` reads input an upstream transaction aborted,
/// `transaction.timeout.ms` bypasses the start-up check against the checkpoint interval and
/// timeout. Found on 2026-11-26: all were accepted without a word.
enum ManagedKafkaProperties {
    /// Why `name` may not be set through `kafka.properties`, and what to use instead; `nil` for
    /// a property that may be.
    static func refusal(for name: String) -> String? {
        switch name {
        case "bootstrap.servers", "metadata.broker.list":
            "set the brokers with `kafka.bootstrap`"
        case "transactional.id":
            "the runtime sets it to `<application>-<instance>`: set those instead"
        case "transaction.timeout.ms":
            "set it with `kafka.transaction_timeout`, which is checked against checkpoint.interval + checkpoint.timeout"
        case "enable.idempotence":
            "transactions need the idempotent producer: the runtime always turns it on"
        case "group.id":
            "the consumer group is named after `application`"
        case "group.instance.id":
            "the runtime sets it to the transactional id when `kafka.static_membership` is true (the default)"
        case "isolation.level":
            "the runtime reads `read_committed` only: input an upstream transaction aborted must not be processed"
        case "enable.auto.commit", "auto.commit.enable", "enable.auto.offset.store", "auto.commit.interval.ms":
            "offsets are committed only in each checkpoint's transaction, together with its output"
        case "auto.offset.reset":
            "the runtime decides where a partition starts: fresh partitions at the beginning, the others at their checkpoint's committed offset"
        case "enable.partition.eof":
            "the runtime does not use end-of-partition events"
        default:
            nil
        }
    }

    /// The first property of `properties` (by name) that may not be set, with its value and
    /// why; `nil` when none.
    static func firstRefused(in properties: [String: String]) -> (name: String, value: String, refusal: String)? {
        for name in properties.keys.sorted() {
            if let refusal = refusal(for: name) { return (name, properties[name]!, refusal) }
        }
        return nil
    }
}
