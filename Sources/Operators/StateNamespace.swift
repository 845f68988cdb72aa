import KeyedState

/// A namespace prefix computed once, so a hot path builds state keys with one allocation.
struct StateNamespace: Sendable {
    let prefix: [UInt8]

    init(_ name: String) {
        prefix = StateKey.prefix(ofNamespace: name)
    }

    func key(_ suffix: some Collection<UInt8>) -> StateKey {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(prefix.count + suffix.count)
        bytes.append(contentsOf: prefix)
        bytes.append(contentsOf: suffix)
        return StateKey(bytes)
    }

    /// ``key(_:)`` for the record path: a key that fits inline (most do) is put together on the
    /// stack, with no array allocated and freed per record.
    func key(_ suffix: [UInt8]) -> StateKey {
        let length = prefix.count + suffix.count
        guard length <= StateKey.inlineCapacity else { return key(suffix[...]) }
        return withUnsafeTemporaryAllocation(byteCount: length, alignment: 1) { buffer in
            prefix.withUnsafeBytes { buffer.copyMemory(from: $0) }
            suffix.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: buffer[prefix.count...]).copyMemory(from: $0) }
            return StateKey(copying: UnsafeRawBufferPointer(buffer))
        }
    }

    func suffix(of key: StateKey) -> ArraySlice<UInt8>? {
        guard key.hasPrefix(prefix) else { return nil }
        return key.bytes[prefix.count...]
    }
}
