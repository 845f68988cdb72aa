/// The key of one entry in a partition's keyed state.
///
/// Keys are raw bytes so that any operator can encode what it needs (a record key, a window
/// start, a timer). Operators that share one partition's state keep apart by a namespace
/// prefix: use ``init(namespace:key:)``.
///
/// Keys of up to 24 bytes (most keys: a namespace and a record key or a timestamp) are stored
/// inline, in three words, with no heap allocation: a partition holds millions of keys, and a
/// heap array per key would cost an allocation on every put and restore and about 48 bytes of
/// memory each. Longer keys are kept in an array.
public struct StateKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Inline keys are zero-padded big-endian words, so comparing words compares bytes in order.
    private enum Storage: Hashable, Sendable {
        case inline(UInt64, UInt64, UInt64, count: UInt8)
        case heap([UInt8])
    }

    private let storage: Storage
    private static let inlineCapacity = 24

    /// The bytes of the key, including any namespace prefix.
    public var bytes: [UInt8] {
        withUnsafeBytes { Array($0) }
    }

    /// A key made of exactly these bytes.
    public init(_ bytes: [UInt8]) {
        self = bytes.withUnsafeBytes { StateKey(copying: $0) }
    }

    /// A key made of the bytes in `buffer`.
    public init(copying buffer: UnsafeRawBufferPointer) {
        guard buffer.count <= StateKey.inlineCapacity else {
            storage = .heap(Array(buffer))
            return
        }
        var words: (UInt64, UInt64, UInt64) = (0, 0, 0)
        Swift.withUnsafeMutableBytes(of: &words) { raw in
            raw.copyMemory(from: buffer)
        }
        storage = .inline(
            UInt64(bigEndian: words.0), UInt64(bigEndian: words.1), UInt64(bigEndian: words.2),
            count: UInt8(buffer.count))
    }

    /// A key inside a namespace: the namespace's UTF-8 bytes, a 0x00 separator, then `key`.
    ///
    /// Two namespaces never produce the same key as long as neither name contains a NUL byte.
    public init(namespace: String, key: [UInt8]) {
        var bytes = Array(namespace.utf8)
        bytes.reserveCapacity(bytes.count + 1 + key.count)
        bytes.append(0)
        bytes.append(contentsOf: key)
        self.init(bytes)
    }

    /// A key inside a namespace whose own part is the UTF-8 bytes of `key`.
    public init(namespace: String, key: String) {
        self.init(namespace: namespace, key: Array(key.utf8))
    }

    /// The namespace prefix (`namespace` + 0x00) that ``init(namespace:key:)`` puts first.
    public static func prefix(ofNamespace namespace: String) -> [UInt8] {
        Array(namespace.utf8) + [0]
    }

    /// The number of bytes in the key.
    public var count: Int {
        switch storage {
        case .inline(_, _, _, let count): Int(count)
        case .heap(let bytes): bytes.count
        }
    }

    /// Calls `body` with the key's bytes, without allocating.
    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        switch storage {
        case .inline(let first, let second, let third, let count):
            var words = (first.bigEndian, second.bigEndian, third.bigEndian)
            return try Swift.withUnsafeBytes(of: &words) { raw in
                try body(UnsafeRawBufferPointer(rebasing: raw[0..<Int(count)]))
            }
        case .heap(let bytes):
            return try bytes.withUnsafeBytes(body)
        }
    }

    /// Whether the key starts with `prefix`.
    public func hasPrefix(_ prefix: [UInt8]) -> Bool {
        withUnsafeBytes { bytes in bytes.count >= prefix.count && bytes.prefix(prefix.count).elementsEqual(prefix) }
    }

    /// Byte-wise lexicographic order; a key sorts before any longer key it is a prefix of.
    public static func < (lhs: StateKey, rhs: StateKey) -> Bool {
        if case .inline(let l0, let l1, let l2, let lCount) = lhs.storage,
           case .inline(let r0, let r1, let r2, let rCount) = rhs.storage
        {
            // Zero padding ties with real zero bytes; the shorter key then comes first.
            return (l0, l1, l2, lCount) < (r0, r1, r2, rCount)
        }
        return lhs.withUnsafeBytes { left in
            rhs.withUnsafeBytes { right in left.lexicographicallyPrecedes(right) }
        }
    }

    /// The key as text when it is UTF-8 without NUL bytes, otherwise as hexadecimal digits.
    public var description: String {
        let bytes = self.bytes
        if let text = String(validating: bytes, as: UTF8.self), !text.contains("\0") {
            return text
        }
        return bytes.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
