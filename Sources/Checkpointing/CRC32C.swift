import CCRC32C

/// CRC-32C (Castagnoli, polynomial 0x1EDC6F41, reflected), the checksum on every state file and
/// manifest.
///
/// Computed by `CCRC32C` (shared with the development broker's record batches): the CPU's CRC32
/// instruction where it has one, slicing-by-8 tables otherwise. Check value: the CRC-32C of the
/// ASCII bytes `123456789` is 0xE3069283.
public struct CRC32C: Sendable, Equatable {
    /// The checksum of the bytes given so far.
    public var value: UInt32 { ~state }
    private var state: UInt32 = 0xFFFF_FFFF

    /// The checksum of no bytes.
    public init() {}

    /// The checksum of `bytes`.
    public static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var crc = CRC32C()
        crc.update(bytes)
        return crc.value
    }

    /// Adds `bytes` to the checksum.
    public mutating func update(_ bytes: some Sequence<UInt8>) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            update(UnsafeRawBufferPointer(buffer))
        }
        if done == nil {
            let copy = Array(bytes)
            copy.withUnsafeBytes { update($0) }
        }
    }

    /// Adds the bytes in `buffer` to the checksum.
    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        state = exactly_crc32c_update(state, buffer.baseAddress, buffer.count)
    }

    /// `value` as eight hexadecimal digits, the way errors and manifests show it.
    public static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }
}
