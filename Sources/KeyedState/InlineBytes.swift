/// A short byte string stored without a heap allocation, or a longer one in an array: the
/// storage of ``StateKey`` and ``StateValue``.
///
/// A partition holds millions of entries; an array per key or value would cost an allocation
/// on every put and restore, about 48 bytes of memory each, and a reference-count update per
/// entry whenever a fold copies its bucket after a snapshot. Inline bytes are zero-padded
/// big-endian words, so comparing the words compares the bytes in order.
enum InlineBytes: Hashable, Sendable {
    case inline(UInt64, UInt64, UInt64, count: UInt8)
    case heap([UInt8])

    static let inlineCapacity = 24

    init(copying buffer: UnsafeRawBufferPointer) {
        guard buffer.count <= InlineBytes.inlineCapacity else {
            self = .heap(Array(buffer))
            return
        }
        var words: (UInt64, UInt64, UInt64) = (0, 0, 0)
        Swift.withUnsafeMutableBytes(of: &words) { raw in
            raw.copyMemory(from: buffer)
        }
        self = .inline(
            UInt64(bigEndian: words.0), UInt64(bigEndian: words.1), UInt64(bigEndian: words.2),
            count: UInt8(buffer.count))
    }

    init(_ bytes: [UInt8]) {
        self = bytes.withUnsafeBytes { InlineBytes(copying: $0) }
    }

    /// Whether the bytes live in an array (a reference to release), not inline.
    var isOnHeap: Bool {
        if case .heap = self { return true }
        return false
    }

    var count: Int {
        switch self {
        case .inline(_, _, _, let count): Int(count)
        case .heap(let bytes): bytes.count
        }
    }

    var bytes: [UInt8] {
        withUnsafeBytes { Array($0) }
    }

    func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        switch self {
        case .inline(let first, let second, let third, let count):
            var words = (first.bigEndian, second.bigEndian, third.bigEndian)
            return try Swift.withUnsafeBytes(of: &words) { raw in
                try body(UnsafeRawBufferPointer(rebasing: raw[0..<Int(count)]))
            }
        case .heap(let bytes):
            return try bytes.withUnsafeBytes(body)
        }
    }

    /// The bytes as hexadecimal digits, two per byte.
    var hexadecimal: String {
        withUnsafeBytes { bytes in
            bytes.map { byte in
                let hex = String(byte, radix: 16)
                return byte < 16 ? "0" + hex : hex
            }.joined()
        }
    }

    /// Byte-wise lexicographic order.
    static func < (lhs: InlineBytes, rhs: InlineBytes) -> Bool {
        if case .inline(let l0, let l1, let l2, let lCount) = lhs, case .inline(let r0, let r1, let r2, let rCount) = rhs {
            // Zero padding ties with real zero bytes; the shorter string then comes first.
            return (l0, l1, l2, lCount) < (r0, r1, r2, rCount)
        }
        return lhs.withUnsafeBytes { left in
            rhs.withUnsafeBytes { right in left.lexicographicallyPrecedes(right) }
        }
    }
}
