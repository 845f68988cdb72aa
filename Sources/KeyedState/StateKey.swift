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
    private let storage: InlineBytes

    /// The bytes of the key, including any namespace prefix.
    public var bytes: [UInt8] {
        storage.bytes
    }

    /// The longest key stored without a heap allocation.
    public static let inlineCapacity = InlineBytes.inlineCapacity

    /// A key made of exactly these bytes.
    public init(_ bytes: [UInt8]) {
        storage = InlineBytes(bytes)
    }

    /// A key made of the bytes in `buffer`.
    public init(copying buffer: UnsafeRawBufferPointer) {
        storage = InlineBytes(copying: buffer)
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

    /// Whether the key's bytes live in an array rather than inline.
    var isOnHeap: Bool { storage.isOnHeap }

    /// The number of bytes in the key.
    public var count: Int { storage.count }

    /// Calls `body` with the key's bytes, without allocating.
    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try storage.withUnsafeBytes(body)
    }

    /// Whether the key starts with `prefix`.
    public func hasPrefix(_ prefix: [UInt8]) -> Bool {
        withUnsafeBytes { bytes in bytes.count >= prefix.count && bytes.prefix(prefix.count).elementsEqual(prefix) }
    }

    /// Byte-wise lexicographic order; a key sorts before any longer key it is a prefix of.
    public static func < (lhs: StateKey, rhs: StateKey) -> Bool {
        lhs.storage < rhs.storage
    }

    /// The key as text when it is UTF-8 without NUL bytes, otherwise as hexadecimal digits.
    public var description: String {
        let bytes = self.bytes
        if let text = String(validating: bytes, as: UTF8.self), !text.contains("\0") {
            return text
        }
        return storage.hexadecimal
    }
}
