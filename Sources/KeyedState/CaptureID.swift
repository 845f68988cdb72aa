/// The identity of one snapshot capture (or restore point) of a ``PartitionState``.
///
/// A checkpoint store compares a snapshot's ``PartitionSnapshot/changesSince`` with the capture
/// its last durable file chain ends at: only when they are equal is the snapshot's change log a
/// valid delta on that chain. Identities are random 64-bit values rather than a counter so that
/// two copies of one state that diverge never produce snapshots that look like each other's
/// successors.
public struct CaptureID: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The identity's bits.
    public let rawValue: UInt64

    /// The capture with these bits, as read back from a checkpoint.
    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// A new identity, distinct from every other with overwhelming probability.
    public static func unique() -> CaptureID {
        var generator = SystemRandomNumberGenerator()
        return CaptureID(rawValue: generator.next())
    }

    /// Sixteen hexadecimal digits.
    public var description: String {
        let hex = String(rawValue, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
