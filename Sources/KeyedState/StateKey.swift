/// The key of one entry in a partition's keyed state.
///
/// Keys are raw bytes so that any operator can encode what it needs (a record key, a window
/// start, a timer). Operators that share one partition's state keep apart by a namespace
/// prefix: use ``init(namespace:key:)``.
public struct StateKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The bytes of the key, including any namespace prefix.
    public let bytes: [UInt8]

    /// A key made of exactly these bytes.
    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// A key inside a namespace: the namespace's UTF-8 bytes, a 0x00 separator, then `key`.
    ///
    /// Two namespaces never produce the same key as long as neither name contains a NUL byte.
    public init(namespace: String, key: [UInt8]) {
        var bytes = Array(namespace.utf8)
        bytes.reserveCapacity(bytes.count + 1 + key.count)
        bytes.append(0)
        bytes.append(contentsOf: key)
        self.bytes = bytes
    }

    /// A key inside a namespace whose own part is the UTF-8 bytes of `key`.
    public init(namespace: String, key: String) {
        self.init(namespace: namespace, key: Array(key.utf8))
    }

    /// The namespace prefix (`namespace` + 0x00) that ``init(namespace:key:)`` puts first.
    public static func prefix(ofNamespace namespace: String) -> [UInt8] {
        Array(namespace.utf8) + [0]
    }

    /// Whether the key starts with `prefix`.
    public func hasPrefix(_ prefix: [UInt8]) -> Bool {
        bytes.count >= prefix.count && bytes[0..<prefix.count].elementsEqual(prefix)
    }

    /// Byte-wise lexicographic order; a key sorts before any longer key it is a prefix of.
    public static func < (lhs: StateKey, rhs: StateKey) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }

    public var description: String {
        if let text = String(validating: bytes, as: UTF8.self), !text.contains("\0") {
            return text
        }
        return bytes.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}

extension StateKey {
    /// Calls `body` with the key's bytes, without copying them.
    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try bytes.withUnsafeBytes(body)
    }

    /// A key made of the bytes in `buffer`.
    public init(copying buffer: UnsafeRawBufferPointer) {
        self.init(Array(buffer))
    }
}
