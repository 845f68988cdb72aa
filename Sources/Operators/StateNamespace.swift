import KeyedState

/// A namespace prefix computed once, so a hot path builds state keys with one allocation.
struct StateNamespace: Sendable {
    let prefix: [UInt8]
    /// The prefix's bytes again (up to 24), as three words kept inline: the record path builds
    /// keys from these, as reading the array counted its reference up and down per record.
    private let prefixWords: (UInt64, UInt64, UInt64)

    init(_ name: String) {
        let prefix = StateKey.prefix(ofNamespace: name)
        var words: (UInt64, UInt64, UInt64) = (0, 0, 0)
        // `key(_:)` builds an inline key in these words: they must hold the longest one.
        precondition(MemoryLayout.size(ofValue: words) >= StateKey.inlineCapacity, "StateNamespace's words are shorter than an inline StateKey")
        withUnsafeMutableBytes(of: &words) { words in
            prefix.prefix(StateKey.inlineCapacity).withUnsafeBytes { words.copyMemory(from: $0) }
        }
        self.prefix = prefix
        prefixWords = words
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
        let prefixCount = prefix.count
        let length = prefixCount + suffix.count
        guard length <= StateKey.inlineCapacity else { return key(suffix[...]) }
        var words = prefixWords
        return withUnsafeMutableBytes(of: &words) { buffer in
            suffix.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: buffer[prefixCount...]).copyMemory(from: $0) }
            return StateKey(copying: UnsafeRawBufferPointer(rebasing: buffer[..<length]))
        }
    }

    func suffix(of key: StateKey) -> ArraySlice<UInt8>? {
        guard key.hasPrefix(prefix) else { return nil }
        return key.bytes[prefix.count...]
    }
}
