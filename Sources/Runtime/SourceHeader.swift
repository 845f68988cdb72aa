import KafkaClient

/// The header every output carries to name the input record it came from:
/// `exactly.source` = `<topic>/<partition>/<offset>`.
///
/// It makes outputs traceable (audits, dead-letter replays) and lets a `--dry-run` replay check
/// its outputs against those already committed for the same input range.
public enum SourceHeader {
    /// The header's name.
    public static let name = "exactly.source"

    /// The header's value for an output of `partition`'s record at `offset`.
    public static func value(_ partition: TopicPartition, offset: Int64) -> [UInt8] {
        Array("\(partition.topic)/\(partition.partition)/\(offset)".utf8)
    }

    /// The input a header value names, or `nil` when it is not one.
    public static func parse(_ value: [UInt8]) -> (partition: TopicPartition, offset: Int64)? {
        let parts = String(decoding: value, as: UTF8.self).split(separator: "/")
        guard parts.count >= 3, let offset = Int64(parts[parts.count - 1]), let number = Int32(parts[parts.count - 2]) else { return nil }
        let topic = parts[0..<(parts.count - 2)].joined(separator: "/")
        return (TopicPartition(topic, number), offset)
    }
}
