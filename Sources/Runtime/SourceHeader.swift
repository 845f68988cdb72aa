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
        withValue(prefix: prefix, offset: offset) { Array($0) }
    }

    /// Calls `body` with the value written on the stack: the record path stamps every output
    /// with it and hands it straight to the producer, which copies it.
    static func withValue<Result>(prefix: [UInt8], offset: Int64, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        // The prefix, a sign and at most 19 digits.
        withUnsafeTemporaryAllocation(byteCount: prefix.count + 20, alignment: 1) { buffer in
            prefix.withUnsafeBytes { buffer.copyMemory(from: $0) }
            var end = prefix.count
            if offset < 0 {
                buffer[end] = UInt8(ascii: "-")
                end += 1
            }
            var magnitude = offset.magnitude
            let start = end
            repeat {
                buffer[end] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                end += 1
            } while magnitude > 0
            var digits = UnsafeMutableRawBufferPointer(rebasing: buffer[start..<end])
            digits.reverse()
            return body(UnsafeRawBufferPointer(rebasing: buffer[..<end]))
        }
    }

    /// The input a header value names, or `nil` when it is not one.
    public static func parse(_ value: [UInt8]) -> (partition: TopicPartition, offset: Int64)? {
        let parts = String(decoding: value, as: UTF8.self).split(separator: "/")
        guard parts.count >= 3, let offset = Int64(parts[parts.count - 1]), let number = Int32(parts[parts.count - 2]) else { return nil }
        let topic = parts[0..<(parts.count - 2)].joined(separator: "/")
        return (TopicPartition(topic, number), offset)
    }
}
