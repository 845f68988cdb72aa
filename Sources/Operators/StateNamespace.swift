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

    func suffix(of key: StateKey) -> ArraySlice<UInt8>? {
        guard key.hasPrefix(prefix) else { return nil }
        return key.bytes[prefix.count...]
    }
}
