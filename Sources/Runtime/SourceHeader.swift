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
        value(prefix: prefix(partition), offset: offset)
    }

    /// `<topic>/<partition>/`: computed once per partition, so the per-output cost is the digits.
    static func prefix(_ partition: TopicPartition) -> [UInt8] {
        Array("\(partition.topic)/\(partition.partition)/".utf8)
    }

    /// The value from a cached ``prefix(_:)`` and the offset's decimal digits.
    static func value(prefix: [UInt8], offset: Int64) -> [UInt8] {
        var bytes = prefix
        bytes.reserveCapacity(prefix.count + 20)
        if offset < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = offset.magnitude
        let start = bytes.count
        repeat {
            bytes.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        bytes[start...].reverse()
        return bytes
    }

    /// The input a header value names, or `nil` when it is not one.
    public static func parse(_ value: [UInt8]) -> (partition: TopicPartition, offset: Int64)? {
        let parts = String(decoding: value, as: UTF8.self).split(separator: "/")
        guard parts.count >= 3, let offset = Int64(parts[parts.count - 1]), let number = Int32(parts[parts.count - 2]) else { return nil }
        let topic = parts[0..<(parts.count - 2)].joined(separator: "/")
        return (TopicPartition(topic, number), offset)
    }
}
